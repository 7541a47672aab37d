/* Click-to-sort for leaderboard tables. Cells carry data-value (number, or "" when not
   available); rows without a value always go last; ties keep their current order. */
(function () {
  "use strict";
  function cellFor(row, key) {
    if (key === "model") { return row.querySelector("th.model"); }
    return row.querySelector('td[data-key="' + key.replace(/"/g, '\\"') + '"]');
  }
  function sortTable(table, header) {
    var key = header.getAttribute("data-key");
    var numeric = header.getAttribute("data-type") === "num";
    var current = header.getAttribute("aria-sort");
    /* First click: numbers best-first (descending), names A-Z; next click flips. */
    var descending = numeric ? current !== "descending" : current === "ascending";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows).map(function (row, index) {
      var cell = cellFor(row, key);
      var raw = cell ? cell.getAttribute("data-value") : "";
      return { row: row, index: index, missing: raw === null || raw === "", value: numeric ? parseFloat(raw) : raw };
    });
    rows.sort(function (a, b) {
      if (a.missing !== b.missing) { return a.missing ? 1 : -1; }
      if (!a.missing && a.value !== b.value) {
        var order = a.value < b.value ? -1 : 1;
        return descending ? -order : order;
      }
      return a.index - b.index;
    });
    rows.forEach(function (item) { body.appendChild(item.row); });
    Array.prototype.forEach.call(table.querySelectorAll("thead th[data-key]"), function (th) {
      th.removeAttribute("aria-sort");
    });
    header.setAttribute("aria-sort", descending ? "descending" : "ascending");
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.lb"), function (table) {
    Array.prototype.forEach.call(table.querySelectorAll("thead th[data-key]"), function (header) {
      header.classList.add("sortable");
      header.tabIndex = 0;
      header.addEventListener("click", function () { sortTable(table, header); });
      header.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sortTable(table, header); }
      });
    });
  });
}());
