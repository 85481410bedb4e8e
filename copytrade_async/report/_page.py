"""The page's own style and script, inlined into every report: nothing is fetched.

The style is responsive without a framework: the figure cards and the charts are grids that
fill a 1280 px screen two charts wide and fall to one column on a phone; a wide table scrolls
inside its own box instead of widening the page. The script only draws the trades table (50
rows a page, a filter, sorting by a column) from the JSON the page carries; the rest of the
page is plain HTML and SVG and reads without it.
"""

from __future__ import annotations

__all__ = ["CSP", "SCRIPT", "STYLE"]

#: Nothing may be loaded from anywhere: no script, style, font or image but the page's own.
CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "img-src data:; base-uri 'none'; form-action 'none'"
)

STYLE = """
:root{--up:#1a7f37;--down:#cf222e;--text:#24292f;--muted:#57606a;--line:#d0d7de;--card:#f6f8fa}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,
sans-serif;color:var(--text);background:#fff}
main{max-width:1240px;margin:0 auto;padding:16px 20px 40px}
h1{font-size:22px;margin:4px 0}
h2{font-size:17px;margin:28px 0 10px}
.meta{color:var(--muted);margin:0 0 14px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:8px}
.card{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:8px 10px;
min-width:0}
.card .label{color:var(--muted);font-size:12px}
.card .value{font-size:19px;font-weight:600;font-variant-numeric:tabular-nums;
overflow-wrap:anywhere}
.card .note{color:var(--muted);font-size:11px}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,480px),1fr));gap:12px}
figure{margin:0;border:1px solid var(--line);border-radius:6px;padding:8px;min-width:0}
figcaption{font-weight:600;margin:0 0 4px}
svg.chart{display:block;width:100%;height:auto}
.table-wrap{overflow-x:auto;border:1px solid var(--line);border-radius:6px}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:left;white-space:nowrap}
th{background:var(--card);font-weight:600;position:sticky;top:0}
th[data-sort]{cursor:pointer}
.num{text-align:right}
tr.total td{font-weight:600;border-top:2px solid var(--text)}
.up{color:var(--up)}
.down{color:var(--down)}
.pager{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:8px 0}
.pager input{flex:1 1 200px;padding:5px 8px;font:inherit;border:1px solid var(--line);
border-radius:6px}
.pager button{font:inherit;padding:4px 10px;border:1px solid var(--line);border-radius:6px;
background:var(--card)}
footer{color:var(--muted);font-size:12px;margin-top:28px}
@media (max-width:600px){
main{padding:10px 10px 30px}
body{font-size:13px}
h1{font-size:19px}
.cards{grid-template-columns:repeat(2,minmax(0,1fr))}
.card .value{font-size:16px}
th,td{padding:4px 6px}
}
"""

SCRIPT = """
(function () {
  var source = document.getElementById("trades-data");
  var body = document.getElementById("trades-body");
  if (!source || !body) { return; }
  var rows = JSON.parse(source.textContent);
  var numeric = [false, false, false, false, false, true, true, true, true, false, false];
  var shown = rows, page = 0, size = 50, sortColumn = -1, descending = false;
  var filter = document.getElementById("trades-filter");
  var status = document.getElementById("trades-status");
  function draw() {
    var pages = Math.max(1, Math.ceil(shown.length / size));
    page = Math.min(Math.max(page, 0), pages - 1);
    var frag = document.createDocumentFragment();
    shown.slice(page * size, page * size + size).forEach(function (row) {
      var tr = document.createElement("tr");
      row.forEach(function (value, i) {
        var td = document.createElement("td");
        td.textContent = value === "" ? "-" : value;
        if (numeric[i]) { td.className = "num"; }
        if (i === 8 && value !== "") { td.className += value.charAt(0) === "-" ? " down" : " up"; }
        tr.appendChild(td);
      });
      frag.appendChild(tr);
    });
    body.replaceChildren(frag);
    status.textContent = shown.length + " of " + rows.length + " trades, page " + (page + 1) +
      " of " + pages;
  }
  filter.addEventListener("input", function () {
    var needle = filter.value.trim().toLowerCase();
    shown = !needle ? rows : rows.filter(function (row) {
      return row.join(" ").toLowerCase().indexOf(needle) >= 0;
    });
    page = 0;
    draw();
  });
  document.getElementById("trades-prev").addEventListener("click", function () {
    page -= 1; draw();
  });
  document.getElementById("trades-next").addEventListener("click", function () {
    page += 1; draw();
  });
  document.querySelectorAll("#trades th[data-sort]").forEach(function (th) {
    th.addEventListener("click", function () {
      var column = Number(th.getAttribute("data-sort"));
      descending = column === sortColumn ? !descending : false;
      sortColumn = column;
      var sign = descending ? -1 : 1;
      shown = shown.slice().sort(function (a, b) {
        var x = a[column], y = b[column];
        if (numeric[column]) { return sign * ((Number(x) || 0) - (Number(y) || 0)); }
        return sign * (x < y ? -1 : x > y ? 1 : 0);
      });
      page = 0;
      draw();
    });
  });
  draw();
})();
"""
