/* clipqa HTML report: the findings table, the per-clipping view and the charts.
   Data: the JSON in #clipqa-data (see qa/report/html.py, page_data). Rows are arrays;
   repeated strings are indexes into DATA.strings. Nothing here fetches anything. */
(function () {
  "use strict";

  var DATA = JSON.parse(document.getElementById("clipqa-data").textContent);
  var S = DATA.strings, ROWS = DATA.rows, FILES = DATA.files, RULES = DATA.rules;
  var SEV = DATA.severities, STATUS = DATA.statuses, META = DATA.meta;
  var RULE = 0, CHECK = 1, SEVI = 2, PATH = 3, FIELD = 4, LINE = 5, COL = 6, MSG = 7, EV = 8, FIX = 9,
    STAT = 10, CTX = 11, REL = 12;
  var NO_PROVIDER = "(no provider)";
  var FIX_TITLES = {
    safe: "clipqa fix applies it: the meaning cannot change",
    unsafe: "clipqa fix --unsafe-fixes applies it: review the change",
    "display-only": "shown only: clipqa fix never applies it"
  };
  var hasBaseline = !!META.baseline;

  function $(id) { return document.getElementById(id); }
  function str(i) { return i == null ? "" : S[i]; }
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) {
      for (var k in attrs) {
        if (attrs[k] == null) continue;
        if (k === "text") e.textContent = attrs[k];
        else if (k === "className") e.className = attrs[k];
        else e.setAttribute(k, attrs[k]);
      }
    }
    if (children) children.forEach(function (c) { if (c != null) e.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return e;
  }
  function fmt(n) { return n.toLocaleString("en-US"); }
  function providerOf(pathIdx) {
    var f = FILES[pathIdx];
    return f ? f[1] : NO_PROVIDER;
  }
  function where(r) {
    var s = str(r[PATH]);
    if (r[LINE] != null) s += ":" + r[LINE] + ":" + (r[COL] || 1);
    return s;
  }
  function clipHash(pathIdx, rowIdx) {
    return "#clip=" + encodeURIComponent(str(pathIdx)) + (rowIdx != null ? "&f=" + rowIdx : "");
  }

  // ------------------------------------------------------------------ invisible characters

  var NAMES = {
    "\u0009": ["TAB", "CHARACTER TABULATION"], "\u000a": ["LF", "LINE FEED"], "\u000d": ["CR", "CARRIAGE RETURN"],
    "\u00a0": ["NBSP", "NO-BREAK SPACE"], "\u00ad": ["SHY", "SOFT HYPHEN"], "\u034f": ["CGJ", "COMBINING GRAPHEME JOINER"],
    "\u061c": ["ALM", "ARABIC LETTER MARK"], "\u180e": ["MVS", "MONGOLIAN VOWEL SEPARATOR"],
    "\u200b": ["ZWSP", "ZERO WIDTH SPACE"], "\u200c": ["ZWNJ", "ZERO WIDTH NON-JOINER"],
    "\u200d": ["ZWJ", "ZERO WIDTH JOINER"], "\u200e": ["LRM", "LEFT-TO-RIGHT MARK"], "\u200f": ["RLM", "RIGHT-TO-LEFT MARK"],
    "\u2028": ["LS", "LINE SEPARATOR"], "\u2029": ["PS", "PARAGRAPH SEPARATOR"],
    "\u202a": ["LRE", "LEFT-TO-RIGHT EMBEDDING"], "\u202b": ["RLE", "RIGHT-TO-LEFT EMBEDDING"],
    "\u202c": ["PDF", "POP DIRECTIONAL FORMATTING"], "\u202d": ["LRO", "LEFT-TO-RIGHT OVERRIDE"],
    "\u202e": ["RLO", "RIGHT-TO-LEFT OVERRIDE"], "\u202f": ["NNBSP", "NARROW NO-BREAK SPACE"],
    "\u2060": ["WJ", "WORD JOINER"], "\u2066": ["LRI", "LEFT-TO-RIGHT ISOLATE"], "\u2067": ["RLI", "RIGHT-TO-LEFT ISOLATE"],
    "\u2068": ["FSI", "FIRST STRONG ISOLATE"], "\u2069": ["PDI", "POP DIRECTIONAL ISOLATE"],
    "\ufe0e": ["VS15", "VARIATION SELECTOR-15 (text style)"], "\ufe0f": ["VS16", "VARIATION SELECTOR-16 (emoji style)"],
    "\ufeff": ["BOM", "ZERO WIDTH NO-BREAK SPACE (byte order mark)"], "\ufffd": ["U+FFFD", "REPLACEMENT CHARACTER (undecodable bytes)"]
  };
  // Everything invisible or easily confused; in plain context a narrower set, so emoji sequences
  // (ZWJ, variation selectors) and no-break spaces around the span still render as text.
  var INV_ALL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u00a0\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180e\u200b-\u200f\u2028-\u202f\u2060-\u2064\u2066-\u206f\u3164\ufe00-\ufe0f\ufeff\ufff9-\ufffd]|[\ud800-\udbff](?![\udc00-\udfff])|(?:[^\ud800-\udbff]|^)[\udc00-\udfff]/;
  var INV_CONTEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u00ad\u034f\u061c\u180e\u200b\u200c\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffd]/;

  function hex(cp) { var h = cp.toString(16).toUpperCase(); while (h.length < 4) h = "0" + h; return "U+" + h; }
  function marker(ch) {
    var cp = ch.codePointAt(0), name = NAMES[ch];
    var label = name ? name[0] : hex(cp);
    var title = hex(cp) + (name ? " " + name[1] : "");
    if (cp >= 0xd800 && cp <= 0xdfff) { label = hex(cp); title = hex(cp) + " lone surrogate (not a character)"; }
    return el("abbr", { className: "inv", title: title, "aria-label": title, text: label });
  }
  // Append text to parent with invisible characters shown as markers.
  // mode: "all" (the span, fixes), "context" (text around a span), "none".
  function appendText(parent, text, mode) {
    if (!text) return;
    var re = mode === "all" ? INV_ALL : mode === "context" ? INV_CONTEXT : null;
    if (!re) { parent.appendChild(document.createTextNode(text)); return; }
    var buf = "", chars = Array.from(text);
    for (var i = 0; i < chars.length; i++) {
      var ch = chars[i];
      if (re.test(ch) && !(mode === "context" && (ch === "\n" || ch === "\t"))) {
        if (buf) { parent.appendChild(document.createTextNode(buf)); buf = ""; }
        parent.appendChild(marker(ch));
        if (ch === "\n" || ch === "\u2028" || ch === "\u2029") buf += "\n";
      } else {
        buf += ch;
      }
    }
    if (buf) parent.appendChild(document.createTextNode(buf));
  }
  function codepoints(text) {
    return Array.from(text).map(function (c) {
      var n = NAMES[c];
      return hex(c.codePointAt(0)) + (n ? " " + n[0] : "");
    }).join(" ");
  }

  // ------------------------------------------------------------------ span in context, fix as a diff

  // Character (code point) diff of two short strings: [[op, text]] with op "=", "-" or "+".
  function diff(a, b) {
    var A = Array.from(a), B = Array.from(b), p = 0, s = 0;
    while (p < A.length && p < B.length && A[p] === B[p]) p++;
    while (s < A.length - p && s < B.length - p && A[A.length - 1 - s] === B[B.length - 1 - s]) s++;
    var ma = A.slice(p, A.length - s), mb = B.slice(p, B.length - s), ops = [];
    if (p) ops.push(["=", A.slice(0, p).join("")]);
    if (ma.length * mb.length > 40000 || !ma.length || !mb.length) {
      if (ma.length) ops.push(["-", ma.join("")]);
      if (mb.length) ops.push(["+", mb.join("")]);
    } else {
      var n = ma.length, m = mb.length, L = [], i, j;
      for (i = 0; i <= n; i++) { L.push(new Uint16Array(m + 1)); }
      for (i = n - 1; i >= 0; i--) {
        for (j = m - 1; j >= 0; j--) {
          L[i][j] = ma[i] === mb[j] ? L[i + 1][j + 1] + 1 : Math.max(L[i + 1][j], L[i][j + 1]);
        }
      }
      i = 0; j = 0;
      var push = function (op, ch) {
        var last = ops[ops.length - 1];
        if (last && last[0] === op) last[1] += ch; else ops.push([op, ch]);
      };
      while (i < n || j < m) {
        if (i < n && j < m && ma[i] === mb[j]) { push("=", ma[i]); i++; j++; }
        else if (i < n && (j === m || L[i + 1][j] >= L[i][j + 1])) { push("-", ma[i]); i++; }
        else { push("+", mb[j]); j++; }
      }
    }
    if (s) {
      var tail = A.slice(A.length - s).join(""), last = ops[ops.length - 1];
      if (last && last[0] === "=") last[1] += tail; else ops.push(["=", tail]);
    }
    return ops;
  }
  function changed(ops) {
    return ops.reduce(function (n, o) { return o[0] === "=" ? n : n + Array.from(o[1]).length; }, 0);
  }
  function appendDiff(parent, ops) {
    ops.forEach(function (o) {
      if (o[0] === "=") { appendText(parent, o[1], "context"); return; }
      var tag = o[0] === "+" ? "ins" : "del";
      var e = el(tag, { className: "d" });
      var what = o[0] === "+" ? "inserted: " : "removed: ";
      e.setAttribute("aria-label", what + o[1]);
      if (!o[1].trim() || INV_ALL.test(o[1])) e.title = what + codepoints(o[1]);
      appendText(e, o[1], "all");
      parent.appendChild(e);
    });
  }
  function appendHit(parent, ctx) {
    var hit = ctx[1], elided = ctx[5];
    if (!hit) {
      parent.appendChild(el("mark", { className: "hit empty", title: "here (an insertion point)", "aria-label": "insertion point", text: "‸" }));
      return;
    }
    var m = el("mark", { className: "hit" });
    if (elided) {
      var chars = Array.from(hit), half = Math.floor(chars.length / 2);
      appendText(m, chars.slice(0, half).join(""), "all");
      m.appendChild(el("span", { className: "elided", text: " … " + fmt(elided) + " more characters … " }));
      appendText(m, chars.slice(half).join(""), "all");
    } else {
      appendText(m, hit, "all");
    }
    parent.appendChild(m);
  }
  function appendContext(parent, ctx, hitFn) {
    if (ctx[3] > 0) parent.appendChild(el("span", { className: "cut", title: ctx[3] + " characters before", text: "…" }));
    appendText(parent, ctx[0], "context");
    hitFn(parent);
    appendText(parent, ctx[2], "context");
    if (ctx[4]) parent.appendChild(el("span", { className: "cut", text: "…" }));
  }

  // The fix, shown against what it replaces. A fix is [applicability, message, edits, number of
  // edits], an edit [target, field, start, end, content] (docs/fix.md). One text edit that falls
  // inside the excerpt: the excerpt before and after it, as a diff; a value or key edit: the old
  // value (or key) against the new one; anything else (bytes, many edits): what the fix does.
  function fixView(r) {
    var fix = r[FIX], ctx = r[CTX], ev = r[EV];
    if (fix == null) return null;
    var box = el("div", { className: "fixline" }), after = null;
    var e = fix[3] === 1 ? fix[2][0] : null;
    if (e && e[0] === "text" && ctx && !ctx[5]) {
      var cps = Array.from(ctx[0] + ctx[1] + ctx[2]);
      var a = e[2] - ctx[3], b = e[3] - ctx[3];
      if (a >= 0 && b >= a && b <= cps.length) {
        var head = cps.slice(0, a).join(""), tail = cps.slice(b).join("");
        var ops = diff(cps.join(""), head + e[4] + tail);
        if (ctx[3] > 0) box.appendChild(el("span", { className: "cut", text: "…" }));
        if (!ops.some(function (o) { return o[0] !== "="; })) box.appendChild(el("span", { className: "muted", text: "(no change)" }));
        appendDiff(box, ops);
        if (ctx[4]) box.appendChild(el("span", { className: "cut", text: "…" }));
        return { diff: box, after: [[head, e[4], tail, ctx[3], ctx[4]]], fix: fix };
      }
    }
    if (e && e[0] === "value" && ev != null && ev !== e[4] && ev.indexOf("…") < 0 && ev.length < 400) {
      // a new value as written, whole (the evidence is the value as read: True for yes)
      appendDiff(box, [["-", ev], ["+", e[4]]]);
      return { diff: box, after: e[4], fix: fix };
    }
    if (e && e[0] === "key") {
      var old = (e[1] || "").replace(/\[\d+\]$/, "").split(".").pop();
      appendDiff(box, diff(old + ":", e[4] + ":"));
      return { diff: box, after: e[4] + ": …", fix: fix };
    }
    box.appendChild(el("span", { className: "fix-msg", text: fix[1] }));
    return { diff: box, after: null, fix: fix };
  }

  // ------------------------------------------------------------------ filtering and sorting

  var lower = [];
  function low(i) {
    if (i == null) return "";
    var v = lower[i];
    if (v === undefined) v = lower[i] = S[i].toLowerCase();
    return v;
  }
  var ruleNameLow = {};
  Object.keys(RULES).forEach(function (code) { ruleNameLow[code] = RULES[code][0].toLowerCase(); });

  var state = { text: "", check: "", sevs: { error: true, warning: true, info: true }, rule: "", provider: "", path: "", status: "" };
  var sort = { key: null, dir: 1 };
  var view = [];
  var page = 0;

  var providerNames = {};
  (function () {
    var seen = {};
    for (var i = 0; i < ROWS.length; i++) {
      var p = ROWS[i][PATH];
      if (seen[p]) continue;
      seen[p] = true;
      var name = providerOf(p);
      providerNames[name.toLowerCase()] = name;
    }
  })();

  // What a text search finds in a fix: its applicability, message and replacement texts.
  function fixText(fix) {
    return (fix[0] + " " + fix[1] + " " + fix[2].map(function (e) { return e[4]; }).join(" ")).toLowerCase();
  }

  function rowMatchesText(r, terms) {
    for (var t = 0; t < terms.length; t++) {
      var q = terms[t], c = r[CTX];
      if (low(r[MSG]).indexOf(q) >= 0 || low(r[PATH]).indexOf(q) >= 0 || low(r[RULE]).indexOf(q) >= 0 ||
          low(r[FIELD]).indexOf(q) >= 0 || low(r[CHECK]).indexOf(q) >= 0 ||
          (ruleNameLow[S[r[RULE]]] || "").indexOf(q) >= 0 ||
          (r[EV] != null && r[EV].toLowerCase().indexOf(q) >= 0) ||
          (r[FIX] != null && fixText(r[FIX]).indexOf(q) >= 0) ||
          (c && (c[0] + c[1] + c[2]).toLowerCase().indexOf(q) >= 0) ||
          providerOf(r[PATH]).toLowerCase().indexOf(q) >= 0) continue;
      return false;
    }
    return true;
  }

  function filterRows() {
    var terms = state.text.toLowerCase().split(/\s+/).filter(Boolean);
    var check = state.check, rule = state.rule, path = state.path.toLowerCase();
    var prov = state.provider.toLowerCase(), provExact = !!providerNames[prov];
    var status = state.status ? STATUS.indexOf(state.status) : -1;
    var sevOk = SEV.map(function (s) { return !!state.sevs[s]; });
    var out = [];
    for (var i = 0; i < ROWS.length; i++) {
      var r = ROWS[i];
      if (!sevOk[r[SEVI]]) continue;
      if (check && S[r[CHECK]] !== check) continue;
      if (rule && S[r[RULE]] !== rule) continue;
      if (status >= 0 && r[STAT] !== status) continue;
      if (path && low(r[PATH]).indexOf(path) < 0) continue;
      if (prov) {
        var p = providerOf(r[PATH]).toLowerCase();
        if (provExact ? p !== prov : p.indexOf(prov) < 0) continue;
      }
      if (terms.length && !rowMatchesText(r, terms)) continue;
      out.push(i);
    }
    return out;
  }

  var rank = null; // rank of each interned string in sorted order: string sorts compare ints
  function stringRank() {
    if (rank) return rank;
    var idx = S.map(function (_, i) { return i; });
    idx.sort(function (a, b) { return S[a] < S[b] ? -1 : S[a] > S[b] ? 1 : 0; });
    rank = new Int32Array(S.length);
    idx.forEach(function (v, i) { rank[v] = i; });
    return rank;
  }
  function sortView() {
    if (!sort.key) return;
    var rk = stringRank(), dir = sort.dir;
    var keyOf = {
      severity: function (r) { return r[SEVI]; },
      status: function (r) { return r[STAT]; },
      rule: function (r) { return rk[r[RULE]]; },
      path: function (r) { return rk[r[PATH]]; },
      field: function (r) { return r[FIELD] == null ? -1 : rk[r[FIELD]]; },
      message: function (r) { return rk[r[MSG]]; }
    }[sort.key];
    var keys = new Float64Array(ROWS.length);
    view.forEach(function (i) { keys[i] = keyOf(ROWS[i]); });
    view.sort(function (a, b) {
      var d = keys[a] - keys[b];
      if (d) return d * dir;
      var ra = ROWS[a], rb = ROWS[b];
      d = rk[ra[PATH]] - rk[rb[PATH]];
      if (d) return d;
      return (ra[LINE] || 0) - (rb[LINE] || 0) || a - b;
    });
  }

  // ------------------------------------------------------------------ the findings table

  function pageSize() { return parseInt($("p-size").value, 10) || 100; }

  function compactText(r) {
    var td = el("td", { className: "text" }), c = r[CTX];
    if (c) {
      var before = Array.from(c[0]), after = Array.from(c[2]);
      if (before.length > 30 || c[3] > 0) td.appendChild(el("span", { className: "cut", text: "…" }));
      appendText(td, before.slice(-30).join(""), "context");
      appendHit(td, c);
      appendText(td, after.slice(0, 30).join(""), "context");
      if (after.length > 30 || c[4]) td.appendChild(el("span", { className: "cut", text: "…" }));
    } else if (r[EV] != null) {
      var ev = Array.from(r[EV]);
      appendText(td, ev.length > 120 ? ev.slice(0, 119).join("") + "…" : r[EV], "all");
    }
    return td;
  }

  function renderRows() {
    var size = pageSize(), pages = Math.max(1, Math.ceil(view.length / size));
    if (page >= pages) page = pages - 1;
    if (page < 0) page = 0;
    var start = page * size, end = Math.min(view.length, start + size);
    var frag = document.createDocumentFragment();
    for (var k = start; k < end; k++) {
      var i = view[k], r = ROWS[i], sev = SEV[r[SEVI]], code = S[r[RULE]], rl = RULES[code];
      var tr = el("tr", { "data-row": i, "data-severity": sev, "data-check": S[r[CHECK]] });
      tr.appendChild(el("td", null, [el("span", { className: "badge sev-" + sev, text: sev })]));
      if (hasBaseline) {
        var st = STATUS[r[STAT]];
        tr.appendChild(el("td", null, [st ? el("span", { className: "badge st-" + st, text: st }) : null]));
      }
      tr.appendChild(el("td", null, [el("code", { text: code, title: rl ? rl[3] : null }), rl ? el("span", { className: "rule-name", text: rl[0] }) : null]));
      var loc = where(r);
      tr.appendChild(el("td", { className: "loc", title: loc }, [el("a", { href: clipHash(r[PATH], i), text: loc })]));
      tr.appendChild(el("td", null, [r[FIELD] != null ? el("code", { text: S[r[FIELD]] }) : null]));
      tr.appendChild(el("td", { className: "msg", text: S[r[MSG]] }));
      tr.appendChild(compactText(r));
      frag.appendChild(tr);
    }
    if (!view.length) {
      var cols = document.querySelectorAll("#findings-table thead th").length;
      frag.appendChild(el("tr", null, [el("td", { colspan: cols, className: "muted", text: ROWS.length ? "No finding matches these filters." : "No findings." })]));
    }
    var body = $("rows");
    body.textContent = "";
    body.appendChild(frag);
    var filtered = view.length !== ROWS.length;
    $("shown").textContent = view.length
      ? "Showing " + fmt(start + 1) + "–" + fmt(end) + " of " + fmt(view.length) + " findings" + (filtered ? " (filtered from " + fmt(ROWS.length) + ")" : "")
      : "0 of " + fmt(ROWS.length) + " findings shown";
    $("p-where").textContent = "Page " + fmt(page + 1) + " of " + fmt(pages);
    $("p-first").disabled = $("p-prev").disabled = page === 0;
    $("p-next").disabled = $("p-last").disabled = page >= pages - 1;
  }

  function apply() {
    view = filterRows();
    sortView();
    page = 0;
    renderRows();
    document.body.setAttribute("data-shown", String(view.length));
  }

  function readControls() {
    state.text = $("f-text").value.trim();
    state.check = $("f-check").value;
    state.rule = $("f-rule").value;
    state.provider = $("f-provider").value.trim();
    state.path = $("f-path").value.trim();
    state.status = $("f-status") ? $("f-status").value : "";
    document.querySelectorAll(".f-sev").forEach(function (b) { state.sevs[b.value] = b.checked; });
  }

  function setFilter(changes) {
    if ("check" in changes) $("f-check").value = changes.check;
    if ("rule" in changes) $("f-rule").value = changes.rule;
    if ("provider" in changes) $("f-provider").value = changes.provider;
    readControls();
    apply();
    if (window.location.hash !== "#findings") window.location.hash = "#findings";
    else $("findings").scrollIntoView();
    $("shown").focus();
  }

  function fillSelect(select, counts, label) {
    Object.keys(counts).sort().forEach(function (k) {
      select.appendChild(el("option", { value: k, text: label(k) + " (" + fmt(counts[k]) + ")" }));
    });
  }

  function setupFilters() {
    var checks = {}, rules = {};
    ROWS.forEach(function (r) {
      var c = S[r[CHECK]], code = S[r[RULE]];
      checks[c] = (checks[c] || 0) + 1;
      rules[code] = (rules[code] || 0) + 1;
    });
    fillSelect($("f-check"), checks, function (c) { return c; });
    fillSelect($("f-rule"), rules, function (c) { return c + (RULES[c] ? " " + RULES[c][0] : ""); });
    var dl = $("providers");
    Object.keys(providerNames).sort().slice(0, 2000).forEach(function (k) { dl.appendChild(el("option", { value: providerNames[k] })); });

    var timer = null;
    function later() { clearTimeout(timer); timer = setTimeout(function () { readControls(); apply(); }, 120); }
    function now() { readControls(); apply(); }
    $("f-text").addEventListener("input", later);
    $("f-provider").addEventListener("input", later);
    $("f-path").addEventListener("input", later);
    ["f-check", "f-rule", "f-status"].forEach(function (id) { if ($(id)) $(id).addEventListener("change", now); });
    document.querySelectorAll(".f-sev").forEach(function (b) { b.addEventListener("change", now); });
    $("filters").addEventListener("reset", function () { setTimeout(now, 0); });

    document.querySelectorAll("#findings-table thead th[data-sort] button").forEach(function (b) {
      b.addEventListener("click", function () {
        var th = b.parentNode, key = th.getAttribute("data-sort");
        sort.dir = sort.key === key ? -sort.dir : 1;
        sort.key = key;
        document.querySelectorAll("#findings-table thead th").forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", sort.dir > 0 ? "ascending" : "descending");
        sortView();
        page = 0;
        renderRows();
      });
    });
    function go(p) { return function () { page = p(); renderRows(); $("shown").scrollIntoView({ block: "nearest" }); }; }
    $("p-first").addEventListener("click", go(function () { return 0; }));
    $("p-prev").addEventListener("click", go(function () { return page - 1; }));
    $("p-next").addEventListener("click", go(function () { return page + 1; }));
    $("p-last").addEventListener("click", go(function () { return Infinity; }));
    $("p-size").addEventListener("change", function () { page = 0; renderRows(); });

    document.querySelectorAll("[data-filter-check]").forEach(function (b) {
      b.addEventListener("click", function () { setFilter({ check: b.getAttribute("data-filter-check"), rule: "" }); });
    });
    document.querySelectorAll("[data-filter-rule]").forEach(function (b) {
      b.addEventListener("click", function () { setFilter({ rule: b.getAttribute("data-filter-rule"), check: "" }); });
    });
    $("shown").setAttribute("tabindex", "-1");
  }

  // ------------------------------------------------------------------ the per-clipping view

  var byPath = null;
  function rowsOf(pathIdx) {
    if (!byPath) {
      byPath = {};
      ROWS.forEach(function (r, i) { (byPath[r[PATH]] = byPath[r[PATH]] || []).push(i); });
    }
    return byPath[pathIdx] || [];
  }
  var pathIndex = null;
  function pathIdxOf(path) {
    if (!pathIndex) {
      pathIndex = {};
      ROWS.forEach(function (r) { pathIndex[S[r[PATH]]] = r[PATH]; });
    }
    return pathIndex[path];
  }
  function fileOrder() {
    var seen = {}, order = [], src = view.length ? view : ROWS.map(function (_, i) { return i; });
    src.forEach(function (i) { var p = ROWS[i][PATH]; if (!seen[p]) { seen[p] = true; order.push(p); } });
    return order;
  }

  function findingArticle(i) {
    var r = ROWS[i], sev = SEV[r[SEVI]], code = S[r[RULE]], rl = RULES[code], st = STATUS[r[STAT]];
    var art = el("article", { className: "finding", id: "finding-" + i, tabindex: "-1", "data-row": i, "aria-label": code + " " + sev });
    var head = el("header", null, [
      el("span", { className: "badge sev-" + sev, text: sev }),
      st ? el("span", { className: "badge st-" + st, text: st }) : null,
      el("code", { text: code }),
      rl ? el("span", { text: rl[0] }) : null,
      el("span", { className: "where mono", title: "file:line:column", text: where(r) })
    ]);
    art.appendChild(head);
    art.appendChild(el("p", { className: "message", text: S[r[MSG]] }));
    var c = r[CTX];
    if (c) {
      art.appendChild(el("span", { className: "lbl", text: "In context" }));
      var box = el("div", { className: "context" });
      appendContext(box, c, function (p) { appendHit(p, c); });
      art.appendChild(box);
      var hitCp = Array.from(c[1]);
      if (hitCp.length && hitCp.length <= 16 && /[^\x20-\x7e]/.test(c[1])) {
        art.appendChild(el("div", { className: "codepoints", text: "Span: " + codepoints(c[1]) }));
      }
    } else if (r[EV] != null) {
      art.appendChild(el("span", { className: "lbl", text: "Value" }));
      var evBox = el("div", { className: "evidence" });
      appendText(evBox, r[EV], "all");
      art.appendChild(evBox);
    }
    var fv = fixView(r);
    if (fv) {
      var how = fv.fix[0];
      art.appendChild(el("span", { className: "lbl" }, [
        "Proposed fix ",
        el("span", { className: "badge fix-" + how, title: FIX_TITLES[how] || "", text: how === "display-only" ? "display only" : how })
      ]));
      art.appendChild(fv.diff);
      if (fv.after !== null) {
        var res = el("div", { className: "fixline result" });
        if (Array.isArray(fv.after)) {
          var x = fv.after[0];
          if (x[3] > 0) res.appendChild(el("span", { className: "cut", text: "…" }));
          appendText(res, x[0], "context");
          if (x[1]) res.appendChild(el("mark", { className: "hit fixed", text: x[1] }));
          appendText(res, x[2], "context");
          if (x[4]) res.appendChild(el("span", { className: "cut", text: "…" }));
          if (!x[0] && !x[1] && !x[2]) res.appendChild(el("span", { className: "muted", text: "(empty: the text is removed)" }));
        } else if (fv.after) {
          res.appendChild(document.createTextNode(fv.after));
        } else {
          res.appendChild(el("span", { className: "muted", text: "(empty: the text is removed)" }));
        }
        art.appendChild(el("span", { className: "lbl", text: "After the fix" }));
        art.appendChild(res);
      }
      var one = fv.fix[3] === 1 ? fv.fix[2][0][4] : "";
      var fixCp = Array.from(one);
      if (fixCp.length && fixCp.length <= 16 && /[^\x20-\x7e]/.test(one)) {
        art.appendChild(el("div", { className: "codepoints", text: "Fix: " + codepoints(one) }));
      }
    }
    if (rl) {
      art.appendChild(el("p", { className: "doc", text: rl[3] + (rl[4] ? " Fix: " + rl[4] : "") }));
    }
    if (r[REL]) {
      var rel = el("p", { className: "related" }, ["Related: "]);
      r[REL].forEach(function (p, k) {
        if (k) rel.appendChild(document.createTextNode(", "));
        var idx = pathIdxOf(S[p]);
        rel.appendChild(idx != null ? el("a", { href: clipHash(idx, null), text: S[p] }) : el("code", { text: S[p] }));
      });
      art.appendChild(rel);
    }
    return art;
  }

  var current = null;
  function showClipping(path, focusRow) {
    var p = pathIdxOf(path);
    var sec = $("clipping");
    $("report-view").hidden = true;
    sec.hidden = false;
    document.body.classList.add("viewing-clipping");
    $("clip-h").textContent = path;
    var facts = $("clip-facts"), list = $("clip-findings");
    facts.textContent = "";
    list.textContent = "";
    current = p;
    if (p == null) {
      list.appendChild(el("p", { text: "No findings for this file." }));
      document.title = "clipqa: " + path;
      return;
    }
    var f = FILES[p], rows = rowsOf(p);
    function fact(name, node) { facts.appendChild(el("dt", { text: name })); facts.appendChild(el("dd", null, [node])); }
    if (f) {
      if (f[0]) fact("Title", document.createTextNode(f[0]));
      fact("Provider", document.createTextNode(f[1]));
      if (f[2]) fact("Published", document.createTextNode(f[2]));
      if (f[3]) fact("Web URL", el("a", { href: f[3], rel: "noopener noreferrer", target: "_blank", text: f[3] }));
    }
    var counts = { error: 0, warning: 0, info: 0 };
    rows.forEach(function (i) { counts[SEV[ROWS[i][SEVI]]]++; });
    fact("Findings", document.createTextNode(SEV.filter(function (s) { return counts[s]; }).map(function (s) {
      return counts[s] + " " + (counts[s] > 1 ? { error: "errors", warning: "warnings", info: "info" }[s] : s);
    }).join(", ")));

    var groups = {}, order = [];
    rows.forEach(function (i) {
      var key = ROWS[i][FIELD] == null ? "" : S[ROWS[i][FIELD]];
      if (!(key in groups)) { groups[key] = []; order.push(key); }
      groups[key].push(i);
    });
    function firstLine(k) { return Math.min.apply(null, groups[k].map(function (i) { return ROWS[i][LINE] || 0; })); }
    order.sort(function (a, b) { return firstLine(a) - firstLine(b) || (a < b ? -1 : 1); });
    order.forEach(function (k) {
      var g = el("section", { className: "field-group" });
      var h = el("h3", null, k ? [el("code", { text: k })] : ["The file"]);
      g.appendChild(h);
      groups[k].forEach(function (i) { g.appendChild(findingArticle(i)); });
      list.appendChild(g);
    });

    var files = fileOrder(), pos = files.indexOf(p);
    $("clip-pos").textContent = pos >= 0 ? "file " + fmt(pos + 1) + " of " + fmt(files.length) + " with findings" : "";
    $("clip-prev").disabled = pos <= 0;
    $("clip-next").disabled = pos < 0 || pos >= files.length - 1;
    document.title = "clipqa: " + path;
    var target = focusRow != null ? $("finding-" + focusRow) : null;
    if (target) {
      target.classList.add("focused");
      target.focus({ preventScroll: true });
      target.scrollIntoView({ block: "center" });
    } else {
      window.scrollTo(0, 0);
      sec.focus({ preventScroll: true });
    }
  }
  function stepFile(delta) {
    var files = fileOrder(), pos = files.indexOf(current);
    var next = files[pos + delta];
    if (pos >= 0 && next != null) window.location.hash = clipHash(next, null);
  }

  var reportScroll = 0, inClip = false;
  var baseTitle = document.title;
  function route() {
    var h = window.location.hash;
    if (h.indexOf("#clip=") === 0) {
      if (!inClip) reportScroll = window.scrollY;
      inClip = true;
      var q = h.slice(6), amp = q.lastIndexOf("&f="), row = null;
      if (amp >= 0) { row = parseInt(q.slice(amp + 3), 10); q = q.slice(0, amp); }
      var path;
      try { path = decodeURIComponent(q); } catch (e) { path = q; }
      showClipping(path, row);
      return;
    }
    var wasClip = inClip;
    inClip = false;
    $("clipping").hidden = true;
    $("report-view").hidden = false;
    document.body.classList.remove("viewing-clipping");
    document.title = baseTitle;
    var target = h.length > 1 ? document.getElementById(h.slice(1)) : null;
    if (wasClip && h === "#findings") window.scrollTo(0, reportScroll);
    else if (target) target.scrollIntoView();
  }

  function setupKeys() {
    $("clip-prev").addEventListener("click", function () { stepFile(-1); });
    $("clip-next").addEventListener("click", function () { stepFile(1); });
    document.addEventListener("keydown", function (e) {
      var t = e.target, typing = t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA");
      if (e.altKey || e.ctrlKey || e.metaKey) return;
      if (e.key === "/" && !typing) { e.preventDefault(); if (inClip) window.location.hash = "#findings"; $("f-text").focus(); }
      else if (e.key === "Escape" && inClip) { window.location.hash = "#findings"; }
      else if (inClip && !typing && (e.key === "n" || e.key === "j")) stepFile(1);
      else if (inClip && !typing && (e.key === "p" || e.key === "k")) stepFile(-1);
    });
  }

  // ------------------------------------------------------------------ charts (Chart.js)

  var COLORS = { error: "#b00020", warning: "#b86e00", info: "#0b5cad" };
  function sevDatasets(block) {
    return SEV.map(function (s) { return { label: s, data: block[s], backgroundColor: COLORS[s], stack: "s" }; })
      .filter(function (d) { return d.data.some(function (n) { return n > 0; }); });
  }
  function charts() {
    if (typeof window.Chart !== "function") return;
    var C = window.Chart, D = DATA.charts;
    C.defaults.animation = false;
    C.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
    C.defaults.color = "#1b1b1b";
    C.defaults.maintainAspectRatio = false;
    function make(id, config) {
      var canvas = $(id);
      if (!canvas) return;
      try { new C(canvas, config); } catch (e) { canvas.parentNode.appendChild(el("p", { className: "muted", text: "Chart unavailable: " + e.message })); }
    }
    function empty(id, labels) {
      if (labels.length) return false;
      var c = $(id);
      c.parentNode.replaceChild(el("p", { className: "muted", text: "No data." }), c);
      return true;
    }
    var stacked = { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } };
    if (!empty("chart-checks", D.checks.labels)) {
      make("chart-checks", {
        type: "bar", data: { labels: D.checks.labels, datasets: sevDatasets(D.checks) },
        options: { scales: stacked, onClick: function (_, els) { if (els.length) setFilter({ check: D.checks.labels[els[0].index], rule: "" }); } }
      });
    }
    if (!empty("chart-providers", D.providers.labels)) {
      make("chart-providers", {
        type: "bar", data: { labels: D.providers.labels, datasets: sevDatasets(D.providers) },
        options: {
          indexAxis: "y",
          scales: { x: { stacked: true, beginAtZero: true, ticks: { precision: 0 } }, y: { stacked: true, ticks: { autoSkip: false, font: { size: 11 } } } },
          onClick: function (_, els) {
            if (!els.length) return;
            var label = D.providers.labels[els[0].index];
            if (els[0].index < D.providers.labels.length - 1 || providerNames[label.toLowerCase()]) setFilter({ provider: label });
          }
        }
      });
    }
    if (!empty("chart-days", D.days.labels)) {
      var ds = sevDatasets(D.days);
      ds.forEach(function (d) { d.yAxisID = "y"; d.order = 2; });
      ds.push({ type: "line", label: "clippings", data: D.days.clippings, borderColor: "#3c3c3c", backgroundColor: "#3c3c3c", pointRadius: D.days.labels.length > 60 ? 0 : 2, borderWidth: 1.5, yAxisID: "y2", order: 1 });
      make("chart-days", {
        type: "bar", data: { labels: D.days.labels, datasets: ds },
        options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, title: { display: true, text: "findings" }, ticks: { precision: 0 } }, y2: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: "clippings" }, ticks: { precision: 0 } } } }
      });
    }
    [["chart-quality", D.quality, "#4a6fa5"], ["chart-heat", D.heat, "#8a5a9e"]].forEach(function (h) {
      if (empty(h[0], h[1].labels)) return;
      make(h[0], {
        type: "bar", data: { labels: h[1].labels, datasets: [{ label: "clippings", data: h[1].counts, backgroundColor: h[2] }] },
        options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }
      });
    });
    var pub = D.published, pl = Object.keys(pub).filter(function (k) { return pub[k] > 0; });
    if (!empty("chart-published", pl)) {
      var pc = { "published": "#17692f", "not published": "#9aa0a6", "missing": "#b86e00", "not a boolean": "#b00020" };
      make("chart-published", {
        type: "doughnut",
        data: { labels: pl, datasets: [{ data: pl.map(function (k) { return pub[k]; }), backgroundColor: pl.map(function (k) { return pc[k]; }) }] },
        options: { plugins: { legend: { position: "right" }, tooltip: { callbacks: { label: function (ctx) {
          var total = pl.reduce(function (n, k) { return n + pub[k]; }, 0);
          return ctx.label + ": " + fmt(ctx.raw) + " (" + (100 * ctx.raw / total).toFixed(1) + "%)";
        } } } } }
      });
    }
  }

  function renderFixed() {
    var t = $("fixed-table");
    if (!t) return;
    var body = t.querySelector("tbody");
    if (!DATA.fixed.length) { $("fixed-none").hidden = false; t.hidden = true; return; }
    DATA.fixed.forEach(function (x) {
      var rl = RULES[x.rule];
      body.appendChild(el("tr", null, [
        el("td", null, [el("code", { text: x.rule || "" }), rl ? el("span", { className: "rule-name", text: rl[0] }) : null]),
        el("td", { className: "loc", text: x.path || "" }),
        el("td", null, [x.field ? el("code", { text: x.field }) : null]),
        el("td", { text: x.message || x.evidence || "" })
      ]));
    });
  }

  setupFilters();
  setupKeys();
  renderFixed();
  readControls();
  apply();
  window.addEventListener("hashchange", route);
  route();
  charts();
  document.body.setAttribute("data-ready", "1");
  document.body.setAttribute("data-ready-ms", String(Math.round(performance.now())));
  // For scripts (the benchmark): re-read the filter controls and re-render now, without the typing delay.
  window.clipqaReport = {
    refresh: function () { readControls(); apply(); return view.length; },
    rows: function () { return view.length; }
  };
})();
