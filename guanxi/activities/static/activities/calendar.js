// Calendar page behaviours: drag an activity to another day or slot, click to plan, copy link.
(function () {
  "use strict";

  let dragged = null;

  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function showMessage(text, ok) {
    const box = document.getElementById("calendar-message");
    if (!box) return;
    box.textContent = text;
    box.classList.remove("d-none", "alert-success", "alert-danger");
    box.classList.add(ok ? "alert-success" : "alert-danger");
  }

  function reload() {
    if (typeof htmx !== "undefined") {
      htmx.ajax("GET", window.location.pathname + window.location.search, { target: "#calendar", swap: "innerHTML" });
    } else {
      window.location.reload();
    }
  }

  function pad(number) { return String(number).padStart(2, "0"); }

  function plusHour(start) {
    const moment = new Date(start);
    moment.setHours(moment.getHours() + 1);
    return moment.getFullYear() + "-" + pad(moment.getMonth() + 1) + "-" + pad(moment.getDate()) +
      "T" + pad(moment.getHours()) + ":" + pad(moment.getMinutes());
  }

  function dropTarget(event) {
    return event.target.closest ? event.target.closest("[data-drop]") : null;
  }

  function move(event, target) {
    const calendar = document.getElementById("calendar");
    const start = target.dataset.drop === "slot"
      ? target.dataset.start
      : target.dataset.date + "T" + (dragged.dataset.time || "09:00");
    const body = new FormData();
    body.append("starts_at", start);
    body.append("version", dragged.dataset.version);
    body.append("csrfmiddlewaretoken", csrfToken());
    const url = calendar.dataset.moveUrl.replace("/0/", "/" + dragged.dataset.activity + "/");
    dragged.classList.add("moving");
    fetch(url, { method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRFToken": csrfToken() } })
      .then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      })
      .then(function (result) {
        showMessage(result.data.detail || "", result.ok);
        reload();
      })
      .catch(function () { reload(); });
  }

  document.addEventListener("dragstart", function (event) {
    const item = event.target.closest && event.target.closest(".calendar-event");
    if (!item) return;
    dragged = item;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", item.dataset.activity);
  });

  document.addEventListener("dragend", function () {
    document.querySelectorAll(".drop-over").forEach(function (node) { node.classList.remove("drop-over"); });
  });

  document.addEventListener("dragover", function (event) {
    const target = dropTarget(event);
    if (!target || !dragged) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    document.querySelectorAll(".drop-over").forEach(function (node) {
      if (node !== target) node.classList.remove("drop-over");
    });
    target.classList.add("drop-over");
  });

  document.addEventListener("drop", function (event) {
    const target = dropTarget(event);
    if (!target || !dragged) return;
    event.preventDefault();
    target.classList.remove("drop-over");
    move(event, target);
    dragged = null;
  });

  document.addEventListener("click", function (event) {
    const copy = event.target.closest && event.target.closest("[data-copy]");
    if (copy) {
      const input = document.querySelector(copy.dataset.copy);
      input.select();
      if (navigator.clipboard) navigator.clipboard.writeText(input.value);
      else document.execCommand("copy");
      copy.textContent = copy.dataset.copied;
      return;
    }
    if (event.target.closest && event.target.closest("a, button, .calendar-event")) return;
    const slot = event.target.closest && event.target.closest(".calendar-slot");
    if (slot) {
      window.location.href = "/activities/new/?kind=meeting&starts_at=" + encodeURIComponent(slot.dataset.start) +
        "&ends_at=" + encodeURIComponent(plusHour(slot.dataset.start));
      return;
    }
    const cell = event.target.closest && event.target.closest("[data-new-url]");
    if (cell) window.location.href = cell.dataset.newUrl;
  });

  function scrollToMorning(root) {
    root.querySelectorAll(".calendar-tg-scroll").forEach(function (box) {
      const slot = box.querySelector(".calendar-slot");
      if (slot && !box.dataset.scrolled) {
        box.dataset.scrolled = "1";
        box.scrollTop = slot.offsetHeight * 16;
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () { scrollToMorning(document); });
  document.addEventListener("htmx:afterSwap", function (event) { scrollToMorning(event.target); });
})();
