// The condition builder: turns the JSON tree in a textarea into groups of
// field / comparison / value rows and writes every change back as JSON.
(function () {
  if (window.GuanxiConditions) { return; }
  var MAX_DEPTH = 4;
  var NO_VALUE = ["empty", "not_empty", "changed"];
  var LIST_VALUE = ["in", "not_in"];

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") { node.textContent = attrs[key]; } else { node.setAttribute(key, attrs[key]); }
    });
    (children || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }

  function option(value, label, selected) {
    var node = el("option", { value: value, text: label });
    if (selected) { node.selected = true; }
    return node;
  }

  function Builder(root) {
    this.root = root;
    this.textarea = root.querySelector("textarea");
    this.fields = JSON.parse(root.getAttribute("data-fields") || "[]");
    this.byKey = {};
    var self = this;
    this.fields.forEach(function (field) { self.byKey[field.key] = field; });
    this.labels = {
      all: root.getAttribute("data-label-all"),
      any: root.getAttribute("data-label-any"),
      add: root.getAttribute("data-label-add"),
      group: root.getAttribute("data-label-group"),
      remove: root.getAttribute("data-label-remove"),
      empty: root.getAttribute("data-label-empty")
    };
    var tree;
    try { tree = JSON.parse(this.textarea.value || "{}"); } catch (error) { return; }
    if (!tree || typeof tree !== "object") { tree = {}; }
    tree.match = tree.match || "all";
    tree.rules = tree.rules || [];
    this.tree = tree;
    this.textarea.hidden = true;
    this.canvas = el("div", { "class": "gx-conditions-canvas" });
    root.appendChild(this.canvas);
    this.render();
  }

  Builder.prototype.save = function () {
    this.textarea.value = JSON.stringify(this.tree);
    this.textarea.dispatchEvent(new Event("change", { bubbles: true }));
  };

  Builder.prototype.render = function () {
    this.canvas.innerHTML = "";
    this.canvas.appendChild(this.group(this.tree, null, 1));
    this.save();
  };

  Builder.prototype.group = function (node, parent, depth) {
    var self = this;
    var box = el("div", { "class": depth > 1 ? "border rounded p-2 mb-2 bg-light" : "" });
    var match = el("select", { "class": "form-select form-select-sm w-auto d-inline-block mb-2", "aria-label": self.labels.all });
    match.appendChild(option("all", self.labels.all, node.match === "all"));
    match.appendChild(option("any", self.labels.any, node.match === "any"));
    match.addEventListener("change", function () { node.match = match.value; self.save(); });
    var head = el("div", { "class": "d-flex gap-2 align-items-center" }, [match]);
    if (parent) {
      var drop = el("button", { type: "button", "class": "btn btn-sm btn-ghost-danger ms-auto mb-2", text: self.labels.remove });
      drop.addEventListener("click", function () {
        parent.rules.splice(parent.rules.indexOf(node), 1);
        self.render();
      });
      head.appendChild(drop);
    }
    box.appendChild(head);
    if (!node.rules.length && !parent) {
      box.appendChild(el("div", { "class": "text-secondary small mb-2", text: self.labels.empty }));
    }
    node.rules.forEach(function (item) {
      box.appendChild(item.rules ? self.group(item, node, depth + 1) : self.row(item, node));
    });
    var add = el("button", { type: "button", "class": "btn btn-sm btn-outline-primary", text: self.labels.add, "data-add-condition": "" });
    add.addEventListener("click", function () {
      var first = self.fields[0];
      if (!first) { return; }
      node.rules.push({ field: first.key, op: first.operators[0][0], value: "" });
      self.render();
    });
    var buttons = el("div", { "class": "d-flex gap-2" }, [add]);
    if (depth < MAX_DEPTH) {
      var group = el("button", { type: "button", "class": "btn btn-sm btn-outline-secondary", text: self.labels.group });
      group.addEventListener("click", function () {
        node.rules.push({ match: node.match === "all" ? "any" : "all", rules: [] });
        self.render();
      });
      buttons.appendChild(group);
    }
    box.appendChild(buttons);
    return box;
  };

  Builder.prototype.row = function (item, parent) {
    var self = this;
    var field = self.byKey[item.field] || self.fields[0];
    var row = el("div", { "class": "d-flex flex-wrap gap-2 mb-2 align-items-start", "data-condition-row": "" });
    var fieldSelect = el("select", { "class": "form-select form-select-sm w-auto", "data-condition-field": "" });
    self.fields.forEach(function (one) { fieldSelect.appendChild(option(one.key, one.label, one.key === item.field)); });
    fieldSelect.addEventListener("change", function () {
      item.field = fieldSelect.value;
      var chosen = self.byKey[item.field];
      var ops = chosen.operators.map(function (pair) { return pair[0]; });
      if (ops.indexOf(item.op) < 0) { item.op = ops[0]; }
      item.value = "";
      self.render();
    });
    var opSelect = el("select", { "class": "form-select form-select-sm w-auto", "data-condition-op": "" });
    (field ? field.operators : []).forEach(function (pair) { opSelect.appendChild(option(pair[0], pair[1], pair[0] === item.op)); });
    opSelect.addEventListener("change", function () {
      var wasList = LIST_VALUE.indexOf(item.op) >= 0;
      item.op = opSelect.value;
      if (wasList !== (LIST_VALUE.indexOf(item.op) >= 0)) { item.value = ""; }
      self.render();
    });
    row.appendChild(fieldSelect);
    row.appendChild(opSelect);
    if (field && NO_VALUE.indexOf(item.op) < 0) { row.appendChild(self.valueInput(field, item)); }
    if (NO_VALUE.indexOf(item.op) >= 0) { delete item.value; }
    var remove = el("button", { type: "button", "class": "btn btn-sm btn-ghost-danger", text: self.labels.remove });
    remove.addEventListener("click", function () {
      parent.rules.splice(parent.rules.indexOf(item), 1);
      self.render();
    });
    row.appendChild(remove);
    return row;
  };

  Builder.prototype.valueInput = function (field, item) {
    var self = this;
    var many = LIST_VALUE.indexOf(item.op) >= 0;
    var input;
    if (field.choices) {
      input = el("select", { "class": "form-select form-select-sm w-auto", "data-condition-value": "" });
      if (many) { input.multiple = true; input.size = Math.min(6, field.choices.length); }
      var chosen = many ? (Array.isArray(item.value) ? item.value.map(String) : []) : [String(item.value === undefined ? "" : item.value)];
      if (!many) { input.appendChild(option("", "—", chosen[0] === "")); }
      field.choices.forEach(function (pair) { input.appendChild(option(pair[0], pair[1], chosen.indexOf(String(pair[0])) >= 0)); });
      input.addEventListener("change", function () {
        item.value = many
          ? Array.prototype.filter.call(input.options, function (one) { return one.selected; }).map(function (one) { return one.value; })
          : input.value;
        self.save();
      });
      return input;
    }
    if (field.kind === "boolean") {
      input = el("select", { "class": "form-select form-select-sm w-auto", "data-condition-value": "" });
      input.appendChild(option("true", "✓", item.value === true || item.value === "true"));
      input.appendChild(option("false", "✗", item.value === false || item.value === "false"));
      item.value = input.value === "true";
      input.addEventListener("change", function () { item.value = input.value === "true"; self.save(); });
      return input;
    }
    var type = field.kind === "number" && !many ? "number" : "text";
    input = el("input", { type: type, "class": "form-control form-control-sm w-auto", "data-condition-value": "" });
    if (field.kind === "number") { input.step = "any"; }
    if (field.kind === "date" || field.kind === "datetime") { input.placeholder = "YYYY-MM-DD / today+7"; }
    if (many) { input.placeholder = "a, b, c"; }
    input.value = Array.isArray(item.value) ? item.value.join(", ") : (item.value === undefined ? "" : item.value);
    input.addEventListener("input", function () {
      item.value = many
        ? input.value.split(",").map(function (part) { return part.trim(); }).filter(function (part) { return part; })
        : input.value;
      self.save();
    });
    return input;
  };

  function init(root) {
    (root.querySelectorAll ? root : document).querySelectorAll("[data-conditions]").forEach(function (node) {
      if (node.getAttribute("data-conditions-ready")) { return; }
      node.setAttribute("data-conditions-ready", "1");
      new Builder(node);
    });
  }

  window.GuanxiConditions = { init: init };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
  document.addEventListener("htmx:load", function (event) { init(event.target); });
})();
