(function () {
  "use strict";
  var key = {{ key_json|safe }}, action = {{ action_json|safe }}, markup = {{ markup_json|safe }};
  var holders = document.querySelectorAll('[data-guanxi-lead-form="' + key + '"]');
  Array.prototype.forEach.call(holders, function (holder) {
    var form = document.createElement("form");
    form.className = "guanxi-lead-form";
    form.method = "post";
    form.action = action;
    form.innerHTML = markup;
    holder.appendChild(form);
    var status = document.createElement("p");
    status.className = "gx-status";
    status.setAttribute("role", "status");
    holder.appendChild(status);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      Array.prototype.forEach.call(form.querySelectorAll(".gx-error"), function (node) { node.remove(); });
      status.textContent = {{ sending_json|safe }};
      fetch(action, { method: "POST", body: new FormData(form), headers: { "Accept": "application/json" } })
        .then(function (response) { return response.json().then(function (body) { return { ok: response.ok, body: body }; }); })
        .then(function (answer) {
          status.textContent = answer.body.detail || "";
          if (answer.ok) { form.remove(); return; }
          var errors = answer.body.errors || {};
          Object.keys(errors).forEach(function (name) {
            var input = form.querySelector('[name="' + name + '"]');
            var note = document.createElement("div");
            note.className = "gx-error";
            note.setAttribute("data-error-for", name);
            note.textContent = errors[name].join(" ");
            if (input && input.parentNode) { input.parentNode.appendChild(note); }
          });
        })
        .catch(function () { status.textContent = {{ failed_json|safe }}; });
    });
  });
})();
