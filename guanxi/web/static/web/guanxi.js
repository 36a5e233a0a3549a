// Guanxi's small page behaviours: row selection for bulk actions, autocomplete selects.
(function () {
  "use strict";

  function updateSelection(form) {
    const rows = form.querySelectorAll(".select-row");
    const checked = form.querySelectorAll(".select-row:checked");
    const allMatching = form.querySelector("#all-matching");
    const banner = form.querySelector(".select-all-matching");
    const pageBox = form.querySelector(".select-page");
    const counter = form.querySelector(".selection-count");
    const anySelected = checked.length > 0 || (allMatching && allMatching.value === "1");
    form.querySelectorAll("[data-needs-selection]").forEach(function (button) {
      button.disabled = !anySelected;
    });
    if (pageBox) pageBox.checked = rows.length > 0 && checked.length === rows.length;
    if (banner) banner.classList.toggle("d-none", !(rows.length > 0 && checked.length === rows.length) || allMatching.value === "1");
    if (counter) counter.textContent = checked.length ? checked.length + " " + counter.dataset.label : "";
    if (allMatching && checked.length !== rows.length) allMatching.value = "";
  }

  function initBulk(root) {
    root.querySelectorAll("#bulk-form").forEach(function (form) {
      if (form.dataset.ready) return;
      form.dataset.ready = "1";
      form.addEventListener("change", function (event) {
        if (event.target.classList.contains("select-page")) {
          form.querySelectorAll(".select-row").forEach(function (box) { box.checked = event.target.checked; });
        }
        updateSelection(form);
      });
      const link = form.querySelector(".select-all-link");
      if (link) {
        link.addEventListener("click", function (event) {
          event.preventDefault();
          form.querySelector("#all-matching").value = "1";
          form.querySelector(".select-all-matching").classList.add("d-none");
          const counter = form.querySelector(".selection-count");
          if (counter) counter.textContent = link.textContent.trim();
        });
      }
      updateSelection(form);
    });
  }

  function initAutocomplete(root) {
    if (typeof TomSelect === "undefined") return;
    root.querySelectorAll("select[data-autocomplete]").forEach(function (select) {
      if (select.tomselect) return;
      const url = select.dataset.autocomplete;
      new TomSelect(select, {
        valueField: "value",
        labelField: "text",
        searchField: [],
        maxOptions: 20,
        preload: "focus",
        plugins: select.multiple ? ["remove_button"] : [],
        load: function (query, callback) {
          fetch(url + "?q=" + encodeURIComponent(query), { credentials: "same-origin" })
            .then(function (response) { return response.json(); })
            .then(function (data) { callback(data.results); })
            .catch(function () { callback(); });
        },
      });
    });
  }

  function initTags(root) {
    if (typeof TomSelect === "undefined") return;
    root.querySelectorAll("select[data-tags]").forEach(function (select) {
      if (select.tomselect) return;
      new TomSelect(select, {
        create: true,
        persist: false,
        maxOptions: 200,
        plugins: ["remove_button"],
      });
    });
  }

  function initChoices(root) {
    if (typeof TomSelect === "undefined") return;
    root.querySelectorAll("select[data-choices]").forEach(function (select) {
      if (select.tomselect) return;
      new TomSelect(select, { maxOptions: 200, plugins: ["remove_button"] });
    });
  }

  function init(root) {
    initBulk(root);
    initChoices(root);
    initAutocomplete(root);
    initTags(root);
  }

  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (event) { init(event.target); });
  document.addEventListener("click", function (event) {
    const results = document.getElementById("search-results");
    if (results && !event.target.closest(".global-search")) results.innerHTML = "";
  });
})();
