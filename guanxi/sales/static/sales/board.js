// The kanban board: drag a card (SortableJS) or use its "Move to…" menu; the server decides.
// A refused move (required fields, stale version, no permission) puts the card back.
(function () {
  "use strict";

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
    } catch (error) {
      return "";
    }
  }

  function showMessage(text) {
    const box = document.getElementById("board-message");
    box.textContent = text;
    box.classList.toggle("d-none", !text);
  }

  function announce(text) {
    document.getElementById("board-status").textContent = text;
  }

  function cardsOf(list) {
    return Array.prototype.filter.call(list.children, function (node) {
      return node.classList.contains("board-card");
    });
  }

  function putBack(card, origin) {
    const reference = cardsOf(origin.list)[origin.index] || origin.list.querySelector(".board-more");
    origin.list.insertBefore(card, reference || null);
    card.focus();
  }

  function askLostReason() {
    const dialog = document.getElementById("lost-dialog");
    return new Promise(function (resolve) {
      dialog.querySelector("#lost-reason").value = "";
      dialog.querySelector("#lost-note").value = "";
      dialog.addEventListener("close", function onClose() {
        dialog.removeEventListener("close", onClose);
        if (dialog.returnValue !== "ok") { resolve(null); return; }
        resolve({
          close_reason: dialog.querySelector("#lost-reason").value,
          close_note: dialog.querySelector("#lost-note").value,
        });
      });
      dialog.showModal();
    });
  }

  function updateTotals(board, totals) {
    Object.keys(totals).forEach(function (stageId) {
      const column = board.querySelector('.board-column[data-stage="' + stageId + '"]');
      if (!column) { return; }
      column.querySelector("[data-count]").textContent = totals[stageId].count;
      column.querySelector("[data-amount]").textContent = totals[stageId].amount;
      column.querySelector("[data-weighted]").textContent = totals[stageId].weighted;
    });
  }

  function moved(card, data) {
    card.dataset.version = data.version;
    card.dataset.stage = data.stage;
    card.classList.remove("is-rotting");
    const days = card.querySelector("[data-days]");
    if (days) { days.classList.remove("text-danger", "fw-bold"); }
  }

  async function move(board, card, stageId, origin) {
    showMessage("");
    const column = board.querySelector('.board-column[data-stage="' + stageId + '"]');
    const body = new URLSearchParams(board.dataset.filterQuery || "");
    body.set("stage", stageId);
    body.set("version", card.dataset.version);
    if (column && column.dataset.lost === "1") {
      const reason = await askLostReason();
      if (reason === null) { putBack(card, origin); return; }
      body.set("close_reason", reason.close_reason);
      body.set("close_note", reason.close_note);
    }
    let response;
    let data = {};
    try {
      response = await fetch("/opportunities/" + card.dataset.id + "/stage/", {
        method: "POST",
        headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
        body: body,
        credentials: "same-origin",
      });
      data = await response.json();
    } catch (error) {
      response = { ok: false };
    }
    if (!response.ok || response.status === 202) {
      putBack(card, origin);
      showMessage(data.detail || board.dataset.errorText || "Error");
      return;
    }
    moved(card, data);
    updateTotals(board, data.totals);
    card.focus();
    announce(column ? column.getAttribute("aria-label") : "");
  }

  function init(board) {
    const editable = board.dataset.canEdit === "1";
    board.querySelectorAll(".board-cards").forEach(function (list) {
      if (list.dataset.sortable || typeof Sortable === "undefined") { return; }
      list.dataset.sortable = "1";
      Sortable.create(list, {
        group: "board",
        draggable: ".board-card",
        animation: 150,
        // On a phone a short press scrolls the columns; holding a card picks it up.
        delay: 200,
        delayOnTouchOnly: true,
        disabled: !editable,
        onEnd: function (event) {
          if (event.from === event.to) { return; }
          move(board, event.item, event.to.dataset.stage, { list: event.from, index: event.oldIndex });
        },
      });
    });
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-move-to]");
    const board = document.getElementById("board");
    if (!button || !board || !board.contains(button)) { return; }
    const card = button.closest(".board-card");
    const list = card.parentElement;
    const origin = { list: list, index: cardsOf(list).indexOf(card) };
    const target = board.querySelector('.board-cards[data-stage="' + button.dataset.moveTo + '"]');
    target.insertBefore(card, target.firstChild);
    move(board, card, button.dataset.moveTo, origin);
  });

  document.addEventListener("DOMContentLoaded", function () {
    const board = document.getElementById("board");
    if (board) { init(board); }
  });
})();
