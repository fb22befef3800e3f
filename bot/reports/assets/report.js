/* CodeGuard Nexus report: plain JS, no libraries, no network. All text from the data
   block goes through textContent; only the server-escaped, pre-highlighted source lines
   are inserted as HTML. */
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("report-data").textContent);
  var PAGE = 200;
  var PALETTE = 10;
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function fmt(x) { return x === null || x === undefined ? "n/a" : x.toFixed(2); }
  function card(parent, label, value) {
    var c = el("div", { "class": "card" });
    c.appendChild(el("b", null, value));
    c.appendChild(document.createTextNode(label));
    parent.appendChild(c);
  }

  /* ---------- routing ---------- */
  var views = {};
  Array.prototype.forEach.call(document.querySelectorAll("section.view"), function (s) { views[s.dataset.view] = s; });
  var shown = { overview: false, pairs: false, graph: false, risk: false };
  function route() {
    var h = (location.hash || "#overview").slice(1);
    var name = h, arg = null;
    var m = /^pair-(\d+)$/.exec(h);
    if (m) { name = "pair"; arg = parseInt(m[1], 10); }
    if (!views[name]) name = "overview";
    for (var v in views) views[v].hidden = v !== name;
    document.body.className = "view-" + name;
    Array.prototype.forEach.call(document.querySelectorAll("#nav a"), function (a) {
      a.classList.toggle("active", a.dataset.view === name || (name === "pair" && a.dataset.view === "pairs"));
    });
    if (name === "pair") showPair(arg);
    else if (!shown[name]) { shown[name] = true; init[name](); }
    if (name === "graph") graph.start();
    window.scrollTo(0, 0);
  }

  /* ---------- overview ---------- */
  function initOverview() {
    var o = D.overview;
    var cards = $("ov-cards");
    card(cards, "submissions", o.n_submissions);
    card(cards, "files analysed", o.n_files);
    card(cards, "pairs listed", D.pairs_total);
    card(cards, "pairs with side-by-side view", D.details.length);
    card(cards, "files skipped", o.skipped.length);
    var langs = $("ov-langs");
    Object.keys(o.languages).forEach(function (k) {
      var tr = langs.insertRow();
      tr.insertCell().textContent = k;
      tr.insertCell().textContent = o.languages[k] + " file(s)";
    });
    var st = $("ov-settings");
    function kv(k, v) {
      var tr = st.insertRow();
      tr.insertCell().textContent = k;
      var td = tr.insertCell();
      if (v !== null && typeof v === "object") td.appendChild(el("code", null, JSON.stringify(v)));
      else td.textContent = v === null || v === undefined || v === "" ? "none" : String(v);
    }
    kv("model version", o.model_version || "none (structural analysis only)");
    var thr = o.thresholds;
    kv("AI-risk thresholds", thr ? Object.keys(thr).map(function (k) { return k + " > " + thr[k].toFixed(3); }).join(", ") : "none (no model)");
    Object.keys(o.settings).sort().forEach(function (k) { kv(k.replace(/_/g, " "), o.settings[k]); });
    kv("names", o.anonymised ? "pseudonymised (source text is shown unchanged and may still contain names)" : "as submitted");
    kv("generated", o.generated);
    $("ov-skipped-count").textContent = "(" + o.skipped.length + ")";
    var tb = $("ov-skipped").tBodies[0];
    var limit = 100;
    function fill() {
      tb.textContent = "";
      o.skipped.slice(0, limit).forEach(function (s) {
        var tr = tb.insertRow();
        tr.insertCell().textContent = s[0];
        tr.insertCell().textContent = s[1];
      });
      if (!o.skipped.length) { var tr = tb.insertRow(); var td = tr.insertCell(); td.colSpan = 2; td.textContent = "none"; }
      $("ov-skipped-more").hidden = o.skipped.length <= limit;
    }
    $("ov-skipped-more").addEventListener("click", function () { limit = o.skipped.length; fill(); });
    fill();
    $("footer").textContent = "CodeGuard Nexus · generated " + o.generated + " · self-contained file, nothing is loaded from the network.";
  }

  /* ---------- sortable, filterable, paged tables ---------- */
  function Table(table, rows, opts) {
    this.table = table; this.rows = rows; this.opts = opts; this.limit = PAGE;
    var th0 = table.querySelector("th[aria-sort]");
    this.key = parseInt(th0.dataset.key, 10); this.dir = th0.getAttribute("aria-sort") === "descending" ? -1 : 1;
    this.type = th0.dataset.type;
    var self = this;
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      th.addEventListener("click", function () {
        var key = parseInt(th.dataset.key, 10);
        self.dir = key === self.key ? -self.dir : (th.dataset.type === "num" && key !== 8 ? -1 : 1);
        self.key = key; self.type = th.dataset.type;
        Array.prototype.forEach.call(table.tHead.rows[0].cells, function (o) { o.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", self.dir > 0 ? "ascending" : "descending");
        self.render();
      });
    });
    opts.more.addEventListener("click", function () { self.limit += PAGE * 5; self.render(true); });
  }
  Table.prototype.sorted = function () {
    var key = this.key, dir = this.dir, val = this.opts.value;
    var keep = this.rows.filter(this.opts.filter);
    var num = this.type === "num";
    keep.sort(function (a, b) {
      var x = val(a, key), y = val(b, key);
      if (x === null || x === undefined) return (y === null || y === undefined) ? 0 : 1;
      if (y === null || y === undefined) return -1;
      return dir * (num ? x - y : String(x).localeCompare(String(y)));
    });
    return keep;
  };
  Table.prototype.render = function (keepLimit) {
    if (!keepLimit) this.limit = PAGE;
    var rows = this.sorted();
    var tb = this.table.tBodies[0];
    var frag = document.createDocumentFragment();
    var n = Math.min(rows.length, this.limit);
    for (var i = 0; i < n; i++) frag.appendChild(this.opts.row(rows[i]));
    tb.textContent = "";
    tb.appendChild(frag);
    this.opts.more.hidden = rows.length <= n;
    this.opts.more.textContent = "Show more (" + (rows.length - n) + " not shown)";
    this.opts.count.textContent = rows.length + " of " + this.rows.length + " shown by filter";
  };

  /* ---------- pairs ---------- */
  var byRank = {};
  D.pairs.forEach(function (p) { byRank[p[8]] = p; });
  var pairTable = null;
  function scoreCell(tr, x) {
    var td = tr.insertCell();
    if (x === null) { td.textContent = "n/a"; return; }
    var b = el("span", { "class": "bar" }); b.style.width = Math.round(x * 60) + "px";
    td.appendChild(b); td.appendChild(document.createTextNode(x.toFixed(2)));
  }
  function initPairs() {
    var note = "Pairs are ranked by similarity. The top " + D.details.length + " carry their sources for a side-by-side view";
    if (D.pairs.length > D.details.length) note += "; the next " + (D.pairs.length - D.details.length) + " are summarised as rows";
    if (D.pairs_total > D.pairs.length) note += "; " + (D.pairs_total - D.pairs.length) + " lower-ranked pairs are left out of this page (the JSON output lists every pair)";
    $("pairs-note").textContent = note + ".";
    var name = $("pf-name"), min = $("pf-min"), det = $("pf-detail");
    pairTable = new Table($("pair-table"), D.pairs, {
      more: $("pairs-more"), count: $("pf-count"),
      value: function (p, k) { return k < 2 ? D.subs[p[k]] : p[k]; },
      filter: function (p) {
        var q = name.value.trim().toLowerCase();
        if (q && D.subs[p[0]].toLowerCase().indexOf(q) < 0 && D.subs[p[1]].toLowerCase().indexOf(q) < 0) return false;
        if (p[2] !== null && p[2] < parseFloat(min.value)) return false;
        return !(det.checked && p[7] < 0);
      },
      row: function (p) {
        var tr = el("tr", { "class": p[7] >= 0 ? "link" : "link nodetail", "data-rank": p[8] });
        tr.insertCell().textContent = p[8];
        tr.insertCell().textContent = D.subs[p[0]];
        tr.insertCell().textContent = D.subs[p[1]];
        scoreCell(tr, p[2]); scoreCell(tr, p[3]); scoreCell(tr, p[4]);
        tr.insertCell().textContent = p[5];
        tr.insertCell().textContent = p[6] || "";
        return tr;
      }
    });
    $("pair-table").tBodies[0].addEventListener("click", function (e) {
      var tr = e.target.closest("tr[data-rank]");
      if (tr) location.hash = "#pair-" + tr.dataset.rank;
    });
    var t = null;
    function later() { clearTimeout(t); t = setTimeout(function () { pairTable.render(); }, 120); }
    name.addEventListener("input", later);
    min.addEventListener("input", function () { $("pf-min-out").textContent = parseFloat(min.value).toFixed(2); later(); });
    det.addEventListener("change", function () { pairTable.render(); });
    pairTable.render();
  }

  /* ---------- pair view ---------- */
  function renderFile(f) {
    var box = el("div", { "class": "file" });
    box.appendChild(el("h3", null, f.name + (f.lang ? "  ·  " + f.lang : "")));
    if (f.html === null) { box.appendChild(el("div", { "class": "missing" }, "Source not available in this report.")); return { box: box, lines: [] }; }
    var pre = el("pre", { "class": "src" });
    var lines = f.html.split("\n");
    var out = new Array(lines.length);
    for (var i = 0; i < lines.length; i++) out[i] = "<div class=L><i>" + (i + 1) + "</i>" + lines[i] + "\n</div>";
    pre.innerHTML = out.join("");
    f.base.forEach(function (r) {
      for (var k = Math.max(1, r[0]); k <= Math.min(lines.length, r[1]); k++) pre.children[k - 1].classList.add("base");
    });
    box.appendChild(pre);
    return { box: box, lines: pre.children };
  }
  function sideFiles(frags, col) {
    var seen = [], idx = {};
    frags.forEach(function (f) { if (!(f[col] in idx)) { idx[f[col]] = 1; seen.push(f[col]); } });
    return seen;
  }
  var current = null;
  function showPair(rank) {
    var p = byRank[rank];
    var A = $("pv-a"), B = $("pv-b"), legend = $("pv-legend"), scores = $("pv-scores");
    A.textContent = ""; B.textContent = ""; legend.textContent = ""; scores.textContent = "";
    if (!p) { $("pv-title").textContent = "Pair #" + rank + " is not in this report."; return; }
    $("pv-title").textContent = "#" + p[8] + "  " + D.subs[p[0]] + "  \u2194  " + D.subs[p[1]];
    card(scores, "similarity", fmt(p[2])); card(scores, "structural", fmt(p[3]));
    card(scores, "semantic", fmt(p[4])); card(scores, "matched regions", p[5]);
    card(scores, "longest region (lines)", p[6] || "n/a");
    if (p[7] < 0) {
      A.appendChild(el("div", { "class": "missing" }, "This pair is summarised only: its sources are not in this report. Render the report with more detailed pairs to see it side by side."));
      current = null; return;
    }
    var d = D.details[p[7]];
    A.appendChild(el("h3", null, D.subs[p[0]])); B.appendChild(el("h3", null, D.subs[p[1]]));
    var files = {};
    [[A, 0], [B, 3]].forEach(function (sc) {
      sideFiles(d.frags, sc[1]).forEach(function (fi) {
        var r = renderFile(D.files[fi]); files[sc[1] + ":" + fi] = r.lines; sc[0].appendChild(r.box);
      });
    });
    if (!d.frags.length) A.appendChild(el("div", { "class": "missing" }, "No line-level regions were matched for this pair (the score comes from the whole submissions)."));
    var first = [];
    d.frags.forEach(function (f, i) {
      var cls = "f" + (i % PALETTE);
      first.push([mark(files["0:" + f[0]], f[1], f[2], i, cls), mark(files["3:" + f[3]], f[4], f[5], i, cls)]);
      var chip = el("button", { type: "button", "class": "chip " + cls, "data-frag": i },
        (i + 1) + ": " + D.files[f[0]].name + " " + f[1] + "\u2013" + f[2] + "  \u2194  " + D.files[f[3]].name + " " + f[4] + "\u2013" + f[5] + (f[6] ? "  (" + f[6] + " tokens)" : ""));
      legend.appendChild(chip);
    });
    current = { first: first };
  }
  function mark(lines, s, e, i, cls) {
    if (!lines || !lines.length) return null;
    var lo = Math.max(1, s), hi = Math.min(lines.length, e), firstEl = null;
    for (var k = lo; k <= hi; k++) {
      var L = lines[k - 1];
      if (L.dataset.frag === undefined) { L.dataset.frag = i; L.classList.add("frag", cls); }
      if (!firstEl) firstEl = L;
    }
    return firstEl;
  }
  function reveal(L) {
    if (!L) return;
    var side = L.closest(".side");
    side.scrollTop = L.offsetTop - side.clientHeight / 3;
    var i = L.dataset.frag;
    Array.prototype.forEach.call(side.querySelectorAll('.L[data-frag="' + i + '"]'), function (x) {
      x.classList.add("flash");
      setTimeout(function () { x.classList.remove("flash"); }, 1200);
    });
  }
  function jump(i, sides) {
    if (!current || !current.first[i]) return;
    sides.forEach(function (s) { reveal(current.first[i][s]); });
  }
  $("pv-a").addEventListener("click", function (e) { var L = e.target.closest(".L.frag"); if (L) jump(+L.dataset.frag, [1]); });
  $("pv-b").addEventListener("click", function (e) { var L = e.target.closest(".L.frag"); if (L) jump(+L.dataset.frag, [0]); });
  $("pv-legend").addEventListener("click", function (e) { var c = e.target.closest(".chip"); if (c) jump(+c.dataset.frag, [0, 1]); });

  /* ---------- similarity graph ---------- */
  var graph = (function () {
    var canvas = $("g-canvas"), ctx = canvas.getContext("2d"), tip = $("g-tip");
    var N = D.subs.length, pos = new Float64Array(2 * N), ready = false, raf = 0;
    var vis = [], edges = [], comp = new Int32Array(N), colour = [], deg = new Int32Array(N);
    var W = 900, H = 620, iter = 0, ITERS = 260;
    for (var i = 0; i < N; i++) {  // deterministic start: a sunflower spiral
      var r = 18 * Math.sqrt(i + 0.5), a = i * 2.399963;
      pos[2 * i] = W / 2 + r * Math.cos(a); pos[2 * i + 1] = H / 2 + r * Math.sin(a);
    }
    function defaultThreshold() {
      var sims = D.pairs.map(function (p) { return p[2] || 0; }).sort(function (a, b) { return b - a; });
      if (!sims.length) return 0.5;
      var t = 0.5;
      if (sims[0] < t) t = Math.floor(sims[0] * 100) / 100;
      var cap = 4 * N;  // keep the default readable in a dense class
      if (sims.length > cap && sims[cap] >= t) t = Math.ceil(sims[cap] * 100) / 100;
      return Math.min(1, t);
    }
    function rebuild() {
      var t = parseFloat($("g-thr").value), iso = $("g-isolated").checked;
      $("g-thr-out").textContent = t.toFixed(2);
      edges = []; deg.fill(0);
      var parent = new Int32Array(N);
      for (var i = 0; i < N; i++) parent[i] = i;
      function find(x) { while (parent[x] !== x) { parent[x] = parent[parent[x]]; x = parent[x]; } return x; }
      D.pairs.forEach(function (p) {
        if ((p[2] || 0) >= t) {
          edges.push(p); deg[p[0]]++; deg[p[1]]++;
          var ra = find(p[0]), rb = find(p[1]); if (ra !== rb) parent[ra] = rb;
        }
      });
      vis = [];
      for (i = 0; i < N; i++) if (iso || deg[i] > 0) vis.push(i);
      var groups = {};
      for (i = 0; i < N; i++) { var r = find(i); (groups[r] = groups[r] || []).push(i); }
      var list = Object.keys(groups).map(function (k) { return groups[k]; }).filter(function (g) { return g.length > 1; });
      list.sort(function (a, b) { return b.length - a.length; });
      comp.fill(-1); colour = [];
      list.forEach(function (g, ci) {
        g.forEach(function (n) { comp[n] = ci; });
        colour.push("hsl(" + Math.round((ci * 137.508) % 360) + ",65%,45%)");
      });
      var ol = $("g-clusters"); ol.textContent = "";
      list.slice(0, 60).forEach(function (g, ci) {
        var li = el("li");
        var sw = el("span", { "class": "swatch" }); sw.style.background = colour[ci]; li.appendChild(sw);
        li.appendChild(document.createTextNode(g.length + " submissions: "));
        g.slice(0, 12).forEach(function (n, k) {
          var a = el("a", { href: "#pairs", "data-sub": n }, D.subs[n]);
          if (k) li.appendChild(document.createTextNode(", "));
          li.appendChild(a);
        });
        if (g.length > 12) li.appendChild(document.createTextNode(" and " + (g.length - 12) + " more"));
        ol.appendChild(li);
      });
      if (!list.length) ol.appendChild(el("li", null, "No two submissions reach this threshold."));
      $("g-stats").textContent = vis.length + " submissions, " + edges.length + " lines, " + list.length + " clusters";
      iter = 0; ready = true; kick();
    }
    function step() {
      var n = vis.length; if (!n) return;
      var k = Math.sqrt((W * H) / Math.max(n, 1)) * 0.35, temp = Math.max(1, 30 * (1 - iter / ITERS));
      var far = 9 * k * k, dx = new Float64Array(2 * N);
      for (var a = 0; a < n; a++) {
        var i = vis[a], xi = pos[2 * i], yi = pos[2 * i + 1];
        for (var b = a + 1; b < n; b++) {
          var j = vis[b], ddx = xi - pos[2 * j], ddy = yi - pos[2 * j + 1];
          var d2 = ddx * ddx + ddy * ddy + 0.01;
          if (d2 > far) continue;  // distant nodes barely push: skipping them keeps big classes fast
          var f = (k * k) / d2;
          dx[2 * i] += ddx * f; dx[2 * i + 1] += ddy * f; dx[2 * j] -= ddx * f; dx[2 * j + 1] -= ddy * f;
        }
      }
      for (var e = 0; e < edges.length; e++) {
        var p = edges[e], u = p[0], v = p[1];
        var ex = pos[2 * u] - pos[2 * v], ey = pos[2 * u + 1] - pos[2 * v + 1];
        var dist = Math.sqrt(ex * ex + ey * ey) + 0.01, g = (dist / k) * (0.5 + (p[2] || 0));
        dx[2 * u] -= ex * g; dx[2 * u + 1] -= ey * g; dx[2 * v] += ex * g; dx[2 * v + 1] += ey * g;
      }
      for (a = 0; a < n; a++) {
        i = vis[a];
        // Gravity keeps separate clusters in one view instead of drifting to the corners.
        dx[2 * i] += (W / 2 - pos[2 * i]) * 0.08; dx[2 * i + 1] += (H / 2 - pos[2 * i + 1]) * 0.08;
        var m = Math.sqrt(dx[2 * i] * dx[2 * i] + dx[2 * i + 1] * dx[2 * i + 1]) || 1, s = Math.min(m, temp) / m;
        pos[2 * i] += dx[2 * i] * s; pos[2 * i + 1] += dx[2 * i + 1] * s;
      }
      iter++;
    }
    var view = { s: 1, x: 0, y: 0 };
    function fit() {  // scale the layout into the canvas, whatever its extent
      var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity, M = 40;
      vis.forEach(function (i) {
        x0 = Math.min(x0, pos[2 * i]); x1 = Math.max(x1, pos[2 * i]);
        y0 = Math.min(y0, pos[2 * i + 1]); y1 = Math.max(y1, pos[2 * i + 1]);
      });
      if (!vis.length) { view = { s: 1, x: 0, y: 0 }; return; }
      var R = 110;  // room for the labels on the right
      var s = Math.min((W - M - R) / Math.max(x1 - x0, 1), (H - 2 * M) / Math.max(y1 - y0, 1), 2.5);
      view = { s: s, x: M + (W - M - R) / 2 - s * (x0 + x1) / 2, y: H / 2 - s * (y0 + y1) / 2 };
    }
    function X(i) { return view.x + view.s * pos[2 * i]; }
    function Y(i) { return view.y + view.s * pos[2 * i + 1]; }
    function draw() {
      var dpr = window.devicePixelRatio || 1;
      if (canvas.width !== W * dpr) { canvas.width = W * dpr; canvas.height = H * dpr; }
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, W, H);
      fit();
      ctx.lineWidth = 1;
      edges.forEach(function (p) {
        ctx.strokeStyle = "rgba(60,70,90," + (0.15 + 0.6 * (p[2] || 0)).toFixed(2) + ")";
        ctx.beginPath(); ctx.moveTo(X(p[0]), Y(p[0])); ctx.lineTo(X(p[1]), Y(p[1])); ctx.stroke();
      });
      var labels = vis.length <= 80;
      ctx.font = "11px system-ui, sans-serif";
      vis.forEach(function (i) {
        ctx.fillStyle = comp[i] >= 0 ? colour[comp[i]] : "#9aa3ad";
        ctx.beginPath(); ctx.arc(X(i), Y(i), 3.5 + Math.min(5, Math.sqrt(deg[i])), 0, 6.2832); ctx.fill();
        if (labels) { ctx.fillStyle = "#333"; ctx.fillText(D.subs[i].slice(0, 40), X(i) + 7, Y(i) - 5); }
      });
    }
    function frame() {
      raf = 0;
      var t0 = performance.now();
      while (iter < ITERS && performance.now() - t0 < 14) step();
      draw();
      canvas.dataset.settled = iter >= ITERS ? "1" : "";
      if (iter < ITERS && !views.graph.hidden) kick();
    }
    function kick() { if (!raf) raf = requestAnimationFrame(frame); }
    function nodeAt(ev) {
      var r = canvas.getBoundingClientRect(), x = (ev.clientX - r.left) * W / r.width, y = (ev.clientY - r.top) * H / r.height;
      var best = -1, bd = 100;
      vis.forEach(function (i) { var dx = X(i) - x, dy = Y(i) - y, d = dx * dx + dy * dy; if (d < bd) { bd = d; best = i; } });
      return best;
    }
    function showSub(i) { $("pf-name").value = D.subs[i]; location.hash = "#pairs"; if (pairTable) pairTable.render(); }
    canvas.addEventListener("mousemove", function (ev) {
      var i = nodeAt(ev);
      if (i < 0) { tip.hidden = true; return; }
      tip.hidden = false; tip.textContent = D.subs[i] + " \u00b7 " + deg[i] + " line(s)";
      tip.style.left = (ev.offsetX + 12) + "px"; tip.style.top = (ev.offsetY + 12) + "px";
    });
    canvas.addEventListener("mouseleave", function () { tip.hidden = true; });
    canvas.addEventListener("click", function (ev) { var i = nodeAt(ev); if (i >= 0) showSub(i); });
    $("g-clusters").addEventListener("click", function (ev) {
      var a = ev.target.closest("a[data-sub]"); if (!a) return;
      ev.preventDefault(); showSub(+a.dataset.sub);
    });
    return {
      init: function () {
        $("g-thr").value = defaultThreshold();
        var t = null;
        $("g-thr").addEventListener("input", function () { clearTimeout(t); t = setTimeout(rebuild, 60); $("g-thr-out").textContent = parseFloat($("g-thr").value).toFixed(2); });
        $("g-isolated").addEventListener("change", rebuild);
        rebuild();
      },
      start: function () { if (ready) kick(); }
    };
  })();

  /* ---------- AI risk ---------- */
  function initRisk() {
    var levels = {};
    D.risk.forEach(function (r) { if (r[3]) levels[r[3]] = 1; });
    var sel = $("rf-level");
    Object.keys(levels).sort().forEach(function (l) { sel.appendChild(el("option", { value: l }, l)); });
    var name = $("rf-name");
    var tbl = new Table($("risk-table"), D.risk, {
      more: $("risk-more"), count: $("rf-count"),
      value: function (r, k) { return r[k]; },
      filter: function (r) {
        var q = name.value.trim().toLowerCase();
        if (q && r[0].toLowerCase().indexOf(q) < 0) return false;
        return !(sel.value && r[3] !== sel.value);
      },
      row: function (r) {
        var tr = el("tr");
        tr.insertCell().textContent = r[0];
        tr.insertCell().textContent = r[1];
        scoreCell(tr, r[2]);
        var td = tr.insertCell();
        td.appendChild(el("span", { "class": "level level-" + (r[3] || "none") }, r[3] || "n/a"));
        if (r[5]) td.appendChild(el("span", { "class": "muted" }, " · against the author's earlier work: " + r[5]));
        tr.insertCell().textContent = r[4] || "";
        return tr;
      }
    });
    var t = null;
    name.addEventListener("input", function () { clearTimeout(t); t = setTimeout(function () { tbl.render(); }, 120); });
    sel.addEventListener("change", function () { tbl.render(); });
    tbl.render();
  }

  var init = { overview: initOverview, pairs: initPairs, graph: graph.init, risk: initRisk };
  window.addEventListener("hashchange", route);
  // The pair list is what most readers come for: build it even when the page opens
  // elsewhere, so a pair link from the graph or a comment can go back to a filled list.
  shown.pairs = true; initPairs();
  route();
})();
