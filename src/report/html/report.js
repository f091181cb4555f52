// Filters for the findings list. Without scripting the filter bar stays
// hidden and every finding is shown; this only toggles `hidden`. The
// filters live in the address as `#filter?sev=error&path=api/`, so a
// filtered view can be bookmarked or shared.
(function () {
  "use strict";
  var d = document;
  var bar = d.getElementById("filters");
  var list = d.getElementById("findings");
  var each = function (nodes, fn) { Array.prototype.forEach.call(nodes, fn); };
  var groups = [];
  var total = 0;
  each(d.querySelectorAll("details.file"), function (g) {
    var fs = g.querySelectorAll("article.finding");
    total += fs.length;
    groups.push({ g: g, path: (g.getAttribute("data-path") || "").toLowerCase(), fs: fs });
  });
  var controls = bar.querySelectorAll("[data-k]");
  var count = d.getElementById("f-count");
  var none = d.getElementById("f-empty");

  function apply() {
    var want = {};
    each(controls, function (c) { want[c.getAttribute("data-k")] = c.value.trim().toLowerCase(); });
    var shown = 0;
    groups.forEach(function (x) {
      var pathOk = !want.path || x.path.indexOf(want.path) !== -1;
      var n = 0;
      each(x.fs, function (f) {
        var ok = pathOk &&
          (!want.sev || f.getAttribute("data-sev") === want.sev) &&
          (!want.cat || f.getAttribute("data-cat") === want.cat) &&
          (!want.rule || f.getAttribute("data-rule").toLowerCase() === want.rule);
        if (f.hidden === ok) { f.hidden = !ok; }
        if (ok) { n++; }
      });
      x.g.hidden = n === 0;
      shown += n;
    });
    count.textContent = (shown === total ? "" : shown.toLocaleString("en") + " of ") +
      total.toLocaleString("en") + (total === 1 ? " finding" : " findings");
    none.hidden = shown !== 0 || total === 0;
  }

  function fromAddress() {
    var h = location.hash;
    if (h.indexOf("#filter?") !== 0) { return false; }
    h.slice(8).split("&").forEach(function (kv) {
      var i = kv.indexOf("=");
      var k, v;
      if (i < 1) { return; }
      try {
        k = decodeURIComponent(kv.slice(0, i));
        v = decodeURIComponent(kv.slice(i + 1));
      } catch (e) { return; }
      each(controls, function (c) { if (c.getAttribute("data-k") === k) { c.value = v; } });
    });
    return true;
  }

  function toAddress() {
    var parts = [];
    each(controls, function (c) {
      if (c.value) { parts.push(c.getAttribute("data-k") + "=" + encodeURIComponent(c.value)); }
    });
    try {
      history.replaceState(null, "", parts.length ? "#filter?" + parts.join("&") : location.pathname + location.search);
    } catch (e) { /* an address that cannot be rewritten just keeps its old fragment */ }
  }

  function changed() { apply(); toAddress(); }

  var timer = 0;
  each(controls, function (c) {
    c.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(changed, 60); });
  });
  d.getElementById("f-reset").addEventListener("click", function () {
    each(controls, function (c) { c.value = ""; });
    changed();
  });
  // A click on a chart element or a summary card filters the list.
  each(d.querySelectorAll("[data-fk]"), function (a) {
    a.addEventListener("click", function (e) {
      var c = bar.querySelector('[data-k="' + a.getAttribute("data-fk") + '"]');
      if (!c) { return; }
      e.preventDefault();
      each(controls, function (o) { o.value = ""; });
      c.value = a.getAttribute("data-fv");
      changed();
      list.scrollIntoView();
    });
  });
  bar.hidden = false;
  if (fromAddress()) { apply(); }
  d.documentElement.setAttribute("data-js", "ok");
})();
