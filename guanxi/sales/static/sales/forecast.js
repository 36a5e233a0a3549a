// The forecast table: expand and collapse department rows; open a row's adjustment form.
(function () {
  function rowsUnder(key) {
    var found = [];
    document.querySelectorAll('tr[data-parent="' + key + '"]').forEach(function (row) {
      found.push(row);
      found = found.concat(rowsUnder(row.dataset.key));
    });
    return found;
  }
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest(".forecast-toggle");
    if (toggle) {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      toggle.querySelector("i").className = "ti ti-chevron-" + (open ? "down" : "right");
      var key = toggle.dataset.toggleKey;
      if (open) {
        document.querySelectorAll('tr[data-parent="' + key + '"]').forEach(function (row) { row.hidden = false; });
      } else {
        rowsUnder(key).forEach(function (row) {
          row.hidden = true;
          var inner = row.querySelector(".forecast-toggle");
          if (inner) { inner.setAttribute("aria-expanded", "false"); inner.querySelector("i").className = "ti ti-chevron-right"; }
        });
      }
      return;
    }
    var adjust = event.target.closest(".forecast-adjust");
    if (adjust) {
      var form = document.querySelector('tr[data-adjust-for="' + adjust.dataset.adjustKey + '"]');
      if (form) {
        form.hidden = !form.hidden;
        if (!form.hidden) form.querySelector('input[name="new_amount"]').focus();
      }
    }
  });
})();
