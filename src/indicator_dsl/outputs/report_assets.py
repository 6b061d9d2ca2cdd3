"""The style sheet and the script of the HTML report (`report.py`), inlined in the page so the
report stays one file that needs no network.

The script only reads the page: the list's filters (one `<select data-filter=FIELD>` per field,
matched against each row's `data-FIELD`) and a text search, sorting by a header click (numbers
by `data-v`), and a row's details (its JSON in `#details`, shown in a row below it on click or
Enter). It writes nothing anywhere and loads nothing.
"""

from __future__ import annotations

COLOURS = ["#1e8449", "#2e86c1", "#c0392b", "#8e44ad", "#d68910", "#16a085"]
"""Grade colours, best grade first (then exempt and error take GREY and BLACK)."""
GREY = "#95a5a6"
BLACK = "#34495e"
MOVE_COLOURS = {
    "veto": "#c0392b",
    "quota": "#d68910",
    "adjustment": "#8e44ad",
    "assign": "#1e8449",
    "exempt": GREY,
}

STYLE = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 1.5em auto; max-width: 1280px;
       color: #222; padding: 0 1em; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; width: 100%; }
th, td { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
small { color: #666; }
.legend span { display: inline-block; margin: 0 1.2em 0.4em 0; }
.swatch { display: inline-block; width: 0.9em; height: 0.9em; border-radius: 2px; vertical-align: -1px;
          margin-right: 0.3em; }
.badge { display: inline-block; color: #fff; border-radius: 3px; padding: 0 0.4em; margin: 0 0.2em 0.1em 0;
         font-size: 0.85em; white-space: nowrap; }
#branches th { cursor: pointer; user-select: none; position: sticky; top: 0; background: #f4f6f8; }
#branches th[aria-sort=ascending]::after { content: " ▲"; }
#branches th[aria-sort=descending]::after { content: " ▼"; }
#branches tbody tr.row { cursor: pointer; }
#branches tbody tr.row:hover { background: #f0f6fb; }
#branches tbody tr.row td:first-child { border-left: 5px solid transparent; }
tr.detail td { background: #fafafa; }
tr.detail table { margin: 0.3em 0; }
.filters label { margin-right: 1em; white-space: nowrap; }
.filters select, .filters input { margin-left: 0.3em; }
pre { white-space: pre-wrap; font-size: 0.85em; }
"""

SCRIPT = r"""
(function () {
  "use strict";
  var table = document.getElementById("branches");
  if (!table) { return; }
  var body = table.tBodies[0];
  var data = JSON.parse(document.getElementById("details").textContent);
  var counter = document.getElementById("shown");
  var filters = Array.prototype.slice.call(document.querySelectorAll("[data-filter]"));
  var search = document.getElementById("search");
  function rows() { return Array.prototype.slice.call(body.querySelectorAll("tr.row")); }
  function closeDetail(row) {
    var next = row.nextElementSibling;
    if (next && next.classList.contains("detail")) {
      body.removeChild(next);
      row.setAttribute("aria-expanded", "false");
    }
  }
  function apply() {
    var text = search.value.trim().toLowerCase();
    var shown = 0;
    rows().forEach(function (row) {
      var ok = filters.every(function (select) {
        return select.value === "" || row.getAttribute("data-" + select.getAttribute("data-filter")) === select.value;
      });
      if (ok && text) { ok = row.textContent.toLowerCase().indexOf(text) >= 0; }
      row.hidden = !ok;
      if (!ok) { closeDetail(row); }
      if (ok) { shown += 1; }
    });
    counter.textContent = String(shown);
  }
  filters.forEach(function (select) { select.addEventListener("change", apply); });
  search.addEventListener("input", apply);
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
    th.addEventListener("click", function () {
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (other) { other.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var numeric = th.classList.contains("n");
      var sorted = rows().map(function (row) {
        closeDetail(row);
        var cell = row.cells[index];
        var key = cell.hasAttribute("data-v") ? cell.getAttribute("data-v") : cell.textContent;
        return [numeric ? (key === "" ? -Infinity : parseFloat(key)) : key, row];
      });
      sorted.sort(function (a, b) {
        var c = numeric ? a[0] - b[0] : String(a[0]).localeCompare(String(b[0]), "zh");
        return ascending ? c : -c;
      });
      sorted.forEach(function (pair) { body.appendChild(pair[1]); });
    });
  });
  function el(tag, text) {
    var e = document.createElement(tag);
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function openDetail(row) {
    var info = data.rows[row.getAttribute("data-index")];
    var tr = el("tr"); tr.className = "detail";
    var td = el("td"); td.colSpan = row.cells.length; tr.appendChild(td);
    info.lines.forEach(function (line) { td.appendChild(el("div", line)); });
    var spec = info.t === undefined ? null : data.tables[info.t];
    if (spec && info.scores.length) {
      var t = el("table"); var head = el("tr");
      spec.head.forEach(function (h) { head.appendChild(el("th", h)); }); t.appendChild(head);
      spec.rows.forEach(function (cells, i) {
        var r = el("tr");
        cells.concat(info.scores[i]).forEach(function (c) { r.appendChild(el("td", c)); });
        t.appendChild(r);
      });
      td.appendChild(t);
    }
    if (info.trace) { td.appendChild(el("pre", info.trace)); }
    if (info.link) { var a = el("a", info.link[0]); a.href = info.link[1]; td.appendChild(a); }
    row.parentNode.insertBefore(tr, row.nextSibling);
    row.setAttribute("aria-expanded", "true");
  }
  body.addEventListener("click", function (event) {
    var row = event.target.closest("tr.row");
    if (!row || event.target.closest("a")) { return; }
    if (row.getAttribute("aria-expanded") === "true") { closeDetail(row); } else { openDetail(row); }
  });
  body.addEventListener("keydown", function (event) {
    var row = event.target.closest("tr.row");
    if (row && event.key === "Enter") { row.click(); }
  });
  apply();
})();
"""
