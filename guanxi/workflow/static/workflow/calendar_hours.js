// Weekly hours grid of a business calendar: add and remove working intervals per weekday.
(function () {
  "use strict";

  function add(button) {
    var key = button.dataset.addInterval;
    var target = document.querySelector('[data-intervals="' + key + '"]');
    var template = document.getElementById("interval-template");
    if (!target || !template) { return; }
    var row = template.content.firstElementChild.cloneNode(true);
    row.querySelector('[data-part="start"]').name = key + "-start";
    row.querySelector('[data-part="end"]').name = key + "-end";
    var noscript = target.querySelector("noscript");
    target.insertBefore(row, noscript);
    row.querySelector("input").focus();
  }

  document.addEventListener("click", function (event) {
    var addButton = event.target.closest("[data-add-interval]");
    if (addButton) { add(addButton); return; }
    var removeButton = event.target.closest("[data-remove-interval]");
    if (removeButton) { removeButton.closest("[data-interval]").remove(); }
  });
})();
