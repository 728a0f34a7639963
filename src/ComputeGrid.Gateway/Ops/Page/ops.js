// The federation view: asks for an operator key once (kept in this tab's sessionStorage), then polls
// GET /v1/ops/federation with it and redraws the map, the trends, the arrays and the tables. All data goes in through
// textContent and SVG attributes, never as HTML. The map, d3-geo, topojson-client and uPlot come from /ops/vendor.js,
// built from tools/ops-page/package-lock.json (no CDN).
"use strict";

(() => {
  const FEED = "/v1/ops/federation";
  const LOANS = "/v1/loans";
  const KEY_HEADER = "X-API-Key";
  const STORAGE_KEY = "computegrid.ops.key";
  const POLL_MS = 2000;
  const SVG = "http://www.w3.org/2000/svg";
  const WIDTH = 800;
  const HEIGHT = 600;
  const OPEN_STATES = new Set(["Active", "Recalling", "Draining"]);
  const HUB_COLOURS = ["#3d6fd8", "#2e9a6a", "#d9822b", "#7a4fc2", "#c2372f", "#1b9aaa", "#8a6d3b", "#d45d9c", "#5b6474", "#6aa84f"];
  const { geo, feature, mesh, uPlot, china } = window.OpsVendor;

  const $ = (id) => document.getElementById(id);
  const els = {
    status: $("status"), form: $("key-form"), input: $("key-input"), keyError: $("key-error"), forget: $("forget-key"),
    view: $("view"), totals: $("totals"), flow: $("flow"), land: $("land"), arrows: $("arrows"), hubs: $("hubs"), labels: $("labels"),
    tooltip: $("tooltip"), figure: document.querySelector("figure.map"),
    hubRows: document.querySelector("#hubs-table tbody"), targetRows: document.querySelector("#targets-table tbody"),
    pairRows: document.querySelector("#pairs-table tbody"), loanRows: document.querySelector("#loans-table tbody"),
    drilldown: $("drilldown"), drilldownTitle: $("drilldown-title"), drilldownClose: $("drilldown-close"),
    arrays: $("arrays-list"), trendsNote: $("trends-note"),
  };

  let timer = null;
  let controller = null;
  let selectedPair = null;
  let hoveredPair = null;
  let lastFeed = null;
  let mapDrawn = "";

  const number = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
  const precise = new Intl.NumberFormat("en-US", { maximumSignificantDigits: 4 });
  const fmt = (v) => (Math.abs(v) >= 1000 ? number.format(v) : precise.format(v));
  const pct = (v) => `${(v * 100).toFixed(1)}%`;
  const cores = (capacity) => capacity.cpuMillicores / 1000;
  const gpus = (capacity) => Object.values(capacity.gpus || {}).reduce((a, b) => a + b, 0);
  const age = (seconds) => (seconds <= 0 ? "–" : seconds < 90 ? `${Math.round(seconds)} s` : seconds < 5400 ? `${Math.round(seconds / 60)} min` : `${(seconds / 3600).toFixed(1)} h`);

  function el(tag, attrs = {}, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  function svg(tag, attrs = {}, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = String(text);
    return node;
  }

  function setStatus(state, text) {
    els.status.dataset.state = state;
    els.status.textContent = text;
  }

  // --- key and polling -------------------------------------------------------------------------------------------

  function askForKey(message) {
    stop();
    sessionStorage.removeItem(STORAGE_KEY);
    els.view.hidden = true;
    els.forget.hidden = true;
    els.form.hidden = false;
    els.keyError.textContent = message || "";
    setStatus("idle", "Not connected");
    els.input.focus();
  }

  function stop() {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (controller) controller.abort();
    controller = null;
  }

  async function getJson(url, signal) {
    const key = sessionStorage.getItem(STORAGE_KEY);
    return fetch(url, { headers: { [KEY_HEADER]: key, Accept: "application/json" }, cache: "no-store", signal });
  }

  async function poll() {
    if (!sessionStorage.getItem(STORAGE_KEY)) return askForKey();
    controller = new AbortController();
    try {
      const response = await getJson(FEED, controller.signal);
      if (response.status === 401 || response.status === 403) {
        const problem = await response.json().catch(() => ({}));
        return askForKey(`${response.status}: ${problem.reason || problem.detail || problem.title || "refused"}`);
      }
      if (!response.ok) {
        const problem = await response.json().catch(() => ({}));
        setStatus("error", `Feed answered ${response.status} ${problem.title || ""}; retrying`);
      } else {
        render(await response.json());
      }
    } catch (error) {
      if (error.name === "AbortError") return;
      setStatus("error", `Feed unreachable (${error.message}); retrying`);
    }
    timer = setTimeout(poll, POLL_MS);
  }

  function start(key) {
    sessionStorage.setItem(STORAGE_KEY, key);
    els.form.hidden = true;
    els.forget.hidden = false;
    els.keyError.textContent = "";
    setStatus("idle", "Connecting…");
    stop();
    poll();
  }

  function render(feed) {
    lastFeed = feed;
    els.view.hidden = false;
    const hubs = new Map(feed.hubs.map((h) => [h.id, h]));
    renderTotals(feed);
    renderFlow(feed.eastToWest);
    renderTargets(feed.hubs);
    renderMap(feed, hubs);
    renderTrends(feed.trends, feed.hubs);
    renderArrays(feed.arrays || []);
    renderHubRows(feed.hubs, feed.trends);
    renderPairs(feed.arrows);
    els.status.dataset.updated = feed.at;
    setStatus("live", `Live · updated ${new Date(feed.at).toLocaleTimeString("en-GB")}${feed.loansTruncated ? " · loan figures cover the newest 5,000 loans" : ""}`);
  }

  // --- cards and panels ------------------------------------------------------------------------------------------

  function card(id, label, value, display, sub) {
    const node = el("div", { class: "card", "data-total": id });
    node.append(el("div", { class: "label" }, label), el("div", { class: "value", "data-value": value }, display));
    if (sub) node.append(el("div", { class: "sub" }, sub));
    return node;
  }

  function renderTotals(feed) {
    const t = feed.totals;
    els.totals.replaceChildren(
      card("hubs", "Hubs · data centers", t.hubs, `${t.hubs} · ${t.dataCenters}`),
      card("cpu", "CPU used / capacity (cores)", cores(t.used), `${fmt(cores(t.used))} / ${fmt(cores(t.capacity))}`, `utilisation ${pct(t.utilisation)}`),
      card("gpus", "GPUs used / capacity", gpus(t.used), `${fmt(gpus(t.used))} / ${fmt(gpus(t.capacity))}`),
      card("queued", "Jobs queued", t.queued, fmt(t.queued)),
      card("finished", "Jobs finished", t.jobsFinished, fmt(t.jobsFinished)),
      card("energy", "Energy (kWh)", t.executed.energyKwh, fmt(t.executed.energyKwh)),
      card("carbon", "Carbon (kgCO2)", t.executed.carbonKg, fmt(t.executed.carbonKg)),
      card("cost", "Cost (CNY)", t.executed.costCny, fmt(t.executed.costCny)),
      card("loans", "Open loans", t.openLoans, fmt(t.openLoans)),
      card("saved", "Saved by borrowing (kgCO2)", t.savedByBorrowing.carbonKg, fmt(t.savedByBorrowing.carbonKg), `${fmt(t.savedByBorrowing.costCny)} CNY`),
    );
  }

  function renderFlow(f) {
    const dl = el("dl");
    const row = (id, label, value, display) => dl.append(el("dt", {}, label), el("dd", { "data-flow": id, "data-value": value }, display));
    row("borrowed-cores", "Cores borrowed now", cores(f.borrowedNow), fmt(cores(f.borrowedNow)));
    row("borrowed-gpus", "GPUs borrowed now", gpus(f.borrowedNow), fmt(gpus(f.borrowedNow)));
    row("open-loans", "Open loans", f.openLoans, fmt(f.openLoans));
    row("jobs-in-west", "Borrowed jobs running in the west", f.borrowedJobsInWest, fmt(f.borrowedJobsInWest));
    row("jobs-finished", "Eastern jobs finished in the west", f.jobsFinished, fmt(f.jobsFinished));
    row("core-hours", "Core-hours used", f.coreHours, fmt(f.coreHours));
    row("energy", "Energy there (kWh)", f.footprint.energyKwh, fmt(f.footprint.energyKwh));
    row("carbon-saved", "Carbon saved (kgCO2)", f.saved.carbonKg, fmt(f.saved.carbonKg));
    els.flow.replaceChildren(
      el("h2", {}, "East → west (东数西算)"),
      dl,
      el("p", {}, "Capacity eastern hubs borrow from western hubs on loans, and what eastern work used there."));
  }

  function reading(r, format, label) {
    const td = el("td", { class: r.meets ? "meets" : "misses", "data-meets": r.meets, "data-value": r.value });
    td.append(document.createTextNode(`${r.meets ? "✓" : "✗"} ${format(r.value)}${label ? ` / ${label}` : ""}`));
    if (r.basis === "Capacity") td.append(el("span", { class: "basis", title: "no work finished here yet: weighted by CPU capacity" }, "design"));
    if (r.basis === "FinishedWork") td.append(el("span", { class: "basis", title: "weighted by the kWh of finished work" }, "work"));
    return td;
  }

  function hubName(h) {
    const td = el("td", { class: "text", title: `${h.name}, ${h.zone}` });
    td.append(el("strong", {}, h.id), document.createTextNode(` ${h.nameZh}`));
    return td;
  }

  function renderTargets(hubs) {
    els.targetRows.replaceChildren(...hubs.map((h) => {
      const tr = el("tr", { "data-hub-row": h.id });
      tr.append(
        hubName(h),
        reading(h.targets.pue, (v) => v.toFixed(3), `${h.targets.pue.target}`),
        reading(h.targets.utilisation, pct),
        reading(h.targets.greenShare, pct));
      return tr;
    }));
  }

  // --- the map ---------------------------------------------------------------------------------------------------

  const provinces = feature(china, china.objects.provinces);
  // Fitted to the mainland, Hainan and Taiwan; the islands of the South China Sea fall outside the frame.
  const framed = { type: "FeatureCollection", features: provinces.features.filter((f) => f.id !== "CN-PF") };
  const projection = geo.geoConicEqualArea().parallels([25, 47]).rotate([-105, 0]).fitExtent([[12, 12], [WIDTH - 12, HEIGHT - 12]], framed);
  const path = geo.geoPath(projection);
  const project = (lat, lon) => projection([lon, lat]);
  let landZones = "";

  function drawLand(hubs) {
    const zones = hubs.map((h) => `${h.id}:${h.zone}:${h.location.lat}:${h.location.lon}`).join("|");
    if (zones === landZones) return;
    landZones = zones;
    const paths = provinces.features.map((f) => {
      const hub = hubs.find((h) => geo.geoContains(f, [h.location.lon, h.location.lat]));
      return svg("path", { class: `province${hub ? ` ${hub.zone.toLowerCase()}` : ""}`, d: path(f), "data-province": f.id, ...(hub ? { "data-hub-province": hub.id } : {}) });
    });
    const outline = svg("path", { class: "outline", d: path(mesh(china, china.objects.provinces, (a, b) => a === b)) });
    els.land.replaceChildren(...paths, outline);
  }

  function radiusOf(hub, largest) {
    return 7 + 15 * Math.sqrt(largest > 0 ? cores(hub.capacity) / largest : 0);
  }

  function renderMap(feed, hubs) {
    drawLand(feed.hubs);
    // Redrawn only when what it shows changed, so a hovered arrow stays under the pointer between polls.
    const drawn = JSON.stringify([feed.hubs.map((h) => [h.id, h.location, h.capacity, h.used, h.queueLength, h.targets.utilisation.value]), feed.arrows]);
    if (drawn === mapDrawn) return;
    mapDrawn = drawn;
    const largest = Math.max(...feed.hubs.map((h) => cores(h.capacity)), 0);
    const placed = new Map(feed.hubs.map((h) => {
      const [x, y] = project(h.location.lat, h.location.lon);
      return [h.id, { hub: h, x, y, r: radiusOf(h, largest) }];
    }));

    els.hubs.replaceChildren(...[...placed.values()].map(({ hub: h, x, y, r }) => {
      const util = h.targets.utilisation.value;
      const circumference = 2 * Math.PI * (r + 3);
      const g = svg("g", { class: `hub ${h.zone.toLowerCase()}`, "data-hub": h.id, transform: `translate(${x.toFixed(1)},${y.toFixed(1)})` });
      g.append(
        svg("title", {}, `${h.name} (${h.nameZh}), ${h.zone}: ${fmt(cores(h.used))} of ${fmt(cores(h.capacity))} cores used, ${h.queueLength} queued`),
        svg("circle", { class: "body", r: r.toFixed(1) }),
        svg("circle", { class: "track", r: (r + 3).toFixed(1) }),
        svg("circle", {
          class: "ring", r: (r + 3).toFixed(1), transform: "rotate(-90)",
          "stroke-dasharray": `${(Math.min(1, util) * circumference).toFixed(1)} ${circumference.toFixed(1)}`,
        }));
      return g;
    }));

    const largestLoan = Math.max(...feed.arrows.map((a) => cores(a.amount)), 1);
    const curves = [];
    els.arrows.replaceChildren(...feed.arrows.filter((a) => placed.has(a.borrower) && placed.has(a.lender)).map((a) => {
      const from = placed.get(a.borrower);
      const to = placed.get(a.lender);
      // Bend each arrow to its right, so the two directions between a pair of hubs do not overlap.
      const dx = to.x - from.x, dy = to.y - from.y, len = Math.hypot(dx, dy) || 1;
      const nx = -dy / len, ny = dx / len, bend = Math.min(50, len * 0.18);
      const cx = (from.x + to.x) / 2 + nx * bend, cy = (from.y + to.y) / 2 + ny * bend;
      const [sx, sy] = toward(from.x, from.y, cx, cy, from.r + 5);
      const [ex, ey] = toward(to.x, to.y, cx, cy, to.r + 7);
      const width = 2 + 6 * Math.sqrt(cores(a.amount) / largestLoan);
      const id = `${a.borrower}->${a.lender}`;
      const d = `M ${sx.toFixed(1)} ${sy.toFixed(1)} Q ${cx.toFixed(1)} ${cy.toFixed(1)} ${ex.toFixed(1)} ${ey.toFixed(1)}`;
      const g = svg("g", {
        class: `arrow${a.eastToWest ? " ew" : ""}${selectedPair === id ? " selected" : ""}`, "data-arrow": id, "data-cores": cores(a.amount), "data-loans": a.loans,
        tabindex: 0, role: "button", "aria-label": `${a.borrower} borrows from ${a.lender}: ${arrowSummary(a)}; show the loans`,
      });
      g.append(svg("path", { class: "hit", d }), svg("path", { class: "line", d, "stroke-width": width.toFixed(1) }));
      g.addEventListener("mouseenter", (event) => showTooltip(event, a));
      if (hoveredPair === id) showTooltip(null, a);
      g.addEventListener("mousemove", (event) => moveTooltip(event));
      g.addEventListener("mouseleave", hideTooltip);
      g.addEventListener("click", () => openDrilldown(a.borrower, a.lender));
      g.addEventListener("keydown", (event) => { if (event.key === "Enter" || event.key === " ") openDrilldown(a.borrower, a.lender); });
      curves.push({ a, id, p0: [sx, sy], p1: [cx, cy], p2: [ex, ey] });
      return g;
    }));

    placeLabels([...placed.values()], curves);
  }

  function toward(x, y, tx, ty, distance) {
    const dx = tx - x, dy = ty - y, len = Math.hypot(dx, dy) || 1;
    return [x + (dx / len) * distance, y + (dy / len) * distance];
  }

  function arrowSummary(a) {
    return `${fmt(cores(a.amount))} cores${gpus(a.amount) ? ` · ${fmt(gpus(a.amount))} GPUs` : ""} on ${a.loans} loan${a.loans === 1 ? "" : "s"}`;
  }

  // Labels are placed one by one at the first candidate position whose box overlaps no placed label, no hub and stays
  // inside the map: hub labels first (every hub keeps its label, moved out on a leader line when crowded), then one
  // label per arrow at the first free point along it, or none (its figures stay on hover and in the pairs table).
  function placeLabels(hubs, curves) {
    const boxes = hubs.map(({ x, y, r }) => ({ x: x - r - 4, y: y - r - 4, w: 2 * r + 8, h: 2 * r + 8, hub: true }));
    const nodes = [];
    const fits = (b) => b.x >= 2 && b.y >= 2 && b.x + b.w <= WIDTH - 2 && b.y + b.h <= HEIGHT - 2 && !boxes.some((o) => overlaps(b, o));
    const padded = (b) => ({ x: b.x - 2, y: b.y - 2, w: b.width + 4, h: b.height + 4 });
    els.labels.replaceChildren();

    // Crowded hubs (most neighbours within 120 units) choose first, while there is room.
    const crowd = (h) => hubs.filter((o) => o !== h && Math.hypot(o.x - h.x, o.y - h.y) < 120).length;
    for (const h of [...hubs].sort((p, q) => crowd(q) - crowd(p) || p.hub.id.localeCompare(q.hub.id))) {
      const text = hubLabel(h.hub);
      els.labels.append(text);
      let chosen = null;
      for (const c of hubCandidates(h)) {
        setLabelPosition(text, c);
        const box = padded(text.getBBox());
        if (fits(box)) {
          chosen = { c, box };
          break;
        }
      }
      if (!chosen) {
        // Nothing free nearby: the least-crowded spot, so the test names the clash instead of hiding a hub.
        const c = hubCandidates(h)[0];
        setLabelPosition(text, c);
        chosen = { c, box: padded(text.getBBox()) };
      }
      if (chosen.c.leader) {
        const line = svg("line", { class: "leader", x1: h.x, y1: h.y, x2: chosen.c.lx, y2: chosen.c.ly });
        els.labels.insertBefore(line, els.labels.firstChild);
      }
      boxes.push(chosen.box);
      nodes.push(text);
    }

    for (const { a, id, p0, p1, p2 } of curves) {
      const text = svg("text", { class: `arrow-label${a.eastToWest ? " ew" : ""}`, "data-arrow-label": id, "text-anchor": "middle", "data-value": cores(a.amount) },
        `${fmt(cores(a.amount))} cores${a.loans > 1 ? `, ${a.loans} loans` : ""}`);
      els.labels.append(text);
      let free = false;
      for (const t of [0.5, 0.4, 0.6, 0.3, 0.7, 0.22, 0.78]) {
        const [x, y] = quad(p0, p1, p2, t);
        for (const dy of [4, -8, 14]) {
          text.setAttribute("x", x.toFixed(1));
          text.setAttribute("y", (y + dy).toFixed(1));
          const box = padded(text.getBBox());
          if (fits(box)) {
            boxes.push(box);
            free = true;
            break;
          }
        }
        if (free) break;
      }
      if (!free) text.remove();
    }
    els.labels.dataset.hiddenArrowLabels = String(curves.length - els.labels.querySelectorAll("[data-arrow-label]").length);
  }

  function hubLabel(h) {
    const text = svg("text", { class: "hub-label", "data-hub-label": h.id });
    text.append(
      svg("tspan", { class: "name" }, `${h.nameZh} ${h.id}`),
      svg("tspan", { class: `stats${h.queueLength > 0 ? " waiting" : ""}`, "data-value": cores(h.used) },
        `${fmt(cores(h.used))}/${fmt(cores(h.capacity))} cores${h.queueLength > 0 ? ` · ${fmt(h.queueLength)} queued` : ""}`));
    return text;
  }

  function setLabelPosition(text, c) {
    text.setAttribute("text-anchor", c.anchor);
    const [name, stats] = text.children;
    for (const [span, dy] of [[name, 0], [stats, 13]]) {
      span.setAttribute("x", c.x.toFixed(1));
      span.setAttribute("y", (c.y + dy).toFixed(1));
    }
  }

  // Candidate label positions around a hub: right, left, above, below and the diagonals, then further out on a leader.
  function hubCandidates({ x, y, r }) {
    const list = [];
    for (const [step, leader] of [[r + 7, false], [r + 34, true], [r + 64, true]]) {
      const s = step;
      list.push(
        { x: x + s, y: y - 2, anchor: "start", leader, lx: x + s - 3, ly: y - 4 },
        { x: x - s, y: y - 2, anchor: "end", leader, lx: x - s + 3, ly: y - 4 },
        { x, y: y - s - 16, anchor: "middle", leader, lx: x, ly: y - s - 10 },
        { x, y: y + s + 11, anchor: "middle", leader, lx: x, ly: y + s },
        { x: x + s * 0.75, y: y - s * 0.75 - 10, anchor: "start", leader, lx: x + s * 0.7, ly: y - s * 0.7 },
        { x: x - s * 0.75, y: y - s * 0.75 - 10, anchor: "end", leader, lx: x - s * 0.7, ly: y - s * 0.7 },
        { x: x + s * 0.75, y: y + s * 0.75 + 8, anchor: "start", leader, lx: x + s * 0.7, ly: y + s * 0.7 },
        { x: x - s * 0.75, y: y + s * 0.75 + 8, anchor: "end", leader, lx: x - s * 0.7, ly: y + s * 0.7 });
    }
    return list;
  }

  function quad([x0, y0], [x1, y1], [x2, y2], t) {
    const u = 1 - t;
    return [u * u * x0 + 2 * u * t * x1 + t * t * x2, u * u * y0 + 2 * u * t * y1 + t * t * y2];
  }

  function overlaps(a, b) {
    return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
  }

  // --- hover and drill-down --------------------------------------------------------------------------------------

  function showTooltip(event, a) {
    hoveredPair = `${a.borrower}->${a.lender}`;
    const dl = el("dl");
    const row = (label, value) => dl.append(el("dt", {}, label), el("dd", {}, value));
    row("Open loans", fmt(a.loans));
    row("Cores lent", fmt(cores(a.amount)));
    row("GPUs lent", fmt(gpus(a.amount)));
    if (a.usage) {
      row("Jobs ended on them", fmt(a.usage.jobs));
      row("Core-hours used", fmt(a.usage.coreHours));
      row("Carbon saved (kgCO2)", fmt(a.usage.saved.carbonKg));
      row("Charge (CNY)", fmt(a.usage.chargeCny));
    }
    els.tooltip.replaceChildren(el("strong", {}, `${a.borrower} → ${a.lender}${a.eastToWest ? " (east to west)" : ""}`), dl, el("div", {}, "Click for the loans"));
    els.tooltip.hidden = false;
    if (event) moveTooltip(event);
  }

  function moveTooltip(event) {
    const frame = els.figure.getBoundingClientRect();
    const x = Math.min(event.clientX - frame.left + 14, frame.width - els.tooltip.offsetWidth - 4);
    els.tooltip.style.left = `${Math.max(4, x)}px`;
    els.tooltip.style.top = `${event.clientY - frame.top + 14}px`;
  }

  function hideTooltip() {
    hoveredPair = null;
    els.tooltip.hidden = true;
  }

  async function openDrilldown(borrower, lender) {
    selectedPair = `${borrower}->${lender}`;
    for (const g of els.arrows.querySelectorAll("[data-arrow]")) g.classList.toggle("selected", g.dataset.arrow === selectedPair);
    if (lastFeed) renderPairs(lastFeed.arrows);
    els.drilldown.hidden = false;
    els.drilldown.dataset.pair = selectedPair;
    els.drilldownTitle.textContent = `Open loans ${borrower} → ${lender}`;
    els.loanRows.replaceChildren(message(7, "Loading…"));
    try {
      const response = await getJson(`${LOANS}?hubId=${encodeURIComponent(borrower)}&limit=500`);
      if (!response.ok) throw new Error(`GET /v1/loans answered ${response.status}`);
      const page = await response.json();
      const loans = page.loans.filter((l) => l.borrower === borrower && l.lender === lender && l.acceptedAt && OPEN_STATES.has(l.state));
      if (`${borrower}->${lender}` !== selectedPair) return;
      els.loanRows.replaceChildren(...(loans.length === 0 ? [message(7, "No open loan between these hubs now.")] : loans.map(loanRow)));
      els.drilldownTitle.textContent = `Open loans ${borrower} → ${lender}: ${loans.length}${page.nextCursor ? " (of the newest 500 loans of the borrower)" : ""}`;
    } catch (error) {
      els.loanRows.replaceChildren(message(7, `Could not read the loans: ${error.message}`));
    }
    els.drilldown.scrollIntoView({ block: "nearest" });
  }

  function closeDrilldown() {
    selectedPair = null;
    els.drilldown.hidden = true;
    for (const g of els.arrows.querySelectorAll("[data-arrow]")) g.classList.remove("selected");
    if (lastFeed) renderPairs(lastFeed.arrows);
  }

  function message(columns, text) {
    const tr = el("tr", { class: "empty" });
    tr.append(el("td", { colspan: columns }, text));
    return tr;
  }

  function loanRow(l) {
    const tr = el("tr", { "data-loan": l.loanId });
    tr.append(
      el("td", { class: "text" }, l.loanId),
      el("td", { class: "text" }, l.state),
      el("td", {}, fmt(cores(l.amount))),
      el("td", {}, fmt(gpus(l.amount))),
      el("td", {}, fmt(l.usage.jobs)),
      el("td", {}, fmt(l.usage.chargeCny)),
      el("td", { class: "text" }, new Date(l.acceptedAt).toLocaleTimeString("en-GB")));
    return tr;
  }

  // --- trends ----------------------------------------------------------------------------------------------------

  const charts = new Map();

  function chartOf(name, series, hubs) {
    const figure = document.querySelector(`[data-chart="${name}"]`);
    const plot = figure.querySelector(".plot");
    const width = Math.max(200, Math.floor(plot.clientWidth || figure.clientWidth - 10));
    const key = `${series.map((s) => s.label).join(",")}@${width}`;
    const existing = charts.get(name);
    if (existing && existing.key === key) return existing.chart;
    if (existing) existing.chart.destroy();
    const chart = new uPlot({
      width, height: 120,
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [
        { size: 22, font: "10px system-ui, sans-serif", ticks: { size: 3 }, values: (_, ticks) => ticks.map((t) => new Date(t * 1000).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" })) },
        { size: 40, font: "10px system-ui, sans-serif", ticks: { size: 3 } },
      ],
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.colour, width: 1.5, points: { show: false }, spanGaps: true }))],
    }, [[], ...series.map(() => [])], plot);
    charts.set(name, { key, chart });
    plot.dataset.hubs = String(hubs);
    return chart;
  }

  function renderTrends(trends, hubs) {
    const points = trends?.points ?? [];
    const minutes = trends ? trends.intervalSeconds / 60 : 1;
    els.trendsNote.textContent = points.length < 2
      ? `collecting: one point every ${minutes >= 1 ? `${minutes} min` : `${trends?.intervalSeconds ?? 60} s`}, an hour kept`
      : `${points.length} points, one every ${minutes >= 1 ? `${minutes} min` : `${trends.intervalSeconds} s`}`;
    const x = points.map((p) => Date.parse(p.at) / 1000);
    const hubSeries = hubs.map((h, i) => ({ label: h.id, colour: HUB_COLOURS[i % HUB_COLOURS.length] }));
    const set = (name, series, values) => chartOf(name, series, hubs.length).setData([x, ...values]);
    set("throughput", [{ label: "submitted", colour: "#3d6fd8" }, { label: "placed", colour: "#2e9a6a" }],
      [points.map((p) => p.submittedPerMinute), points.map((p) => p.placedPerMinute)]);
    set("queue", hubSeries, hubs.map((h) => points.map((p) => p.queueLength[h.id] ?? null)));
    set("oldest", hubSeries, hubs.map((h) => points.map((p) => (p.oldestQueuedAgeSeconds[h.id] ?? 0) / 60)));
    set("west", [{ label: "west share", colour: "#2e9a6a" }], [points.map((p) => (p.westCoreShare === null ? null : p.westCoreShare * 100))]);
    set("carbon", [{ label: "kgCO2/kWh", colour: "#d9822b" }], [points.map((p) => p.carbonKgPerKwh)]);
    document.getElementById("trends").dataset.points = String(points.length);
  }

  // --- arrays ----------------------------------------------------------------------------------------------------

  function renderArrays(arrays) {
    if (arrays.length === 0) {
      els.arrays.replaceChildren(el("p", { class: "empty" }, "No job array was submitted since the silo holding the trends started."));
      return;
    }
    const order = ["Succeeded", "Failed", "Cancelled", "Running", "Scheduled", "Queued", "Pending"];
    els.arrays.replaceChildren(...arrays.map((a) => {
      const ended = ["Succeeded", "Failed", "Cancelled"].reduce((sum, s) => sum + (a.counts[s] ?? 0), 0);
      const node = el("div", { class: "array", "data-array": a.arrayId, "data-ended": ended, "data-count": a.count });
      const bar = el("div", { class: "bar", title: order.filter((s) => a.counts[s]).map((s) => `${s} ${a.counts[s]}`).join(", ") });
      for (const s of order) {
        if (!a.counts[s]) continue;
        const span = el("span", { class: s });
        span.style.width = `${(100 * a.counts[s]) / a.count}%`;
        bar.append(span);
      }
      node.append(
        el("div", {}, `${a.arrayId} · ${a.tenant} · ${a.template.originHub} · ${fmt(a.count)} jobs${a.cancelled ? " · cancelled" : ""}`),
        bar,
        el("div", { class: "sub" }, `${fmt(ended)} of ${fmt(a.count)} ended (${pct(a.count ? ended / a.count : 0)}) · ${order.filter((s) => a.counts[s]).map((s) => `${s.toLowerCase()} ${fmt(a.counts[s])}`).join(" · ")}`));
      return node;
    }));
  }

  // --- tables ----------------------------------------------------------------------------------------------------

  function renderHubRows(hubs, trends) {
    const latest = trends?.points?.at(-1);
    els.hubRows.replaceChildren(...hubs.map((h) => {
      const tr = el("tr", { "data-hub-row": h.id });
      const cell = (col, value, display) => el("td", { "data-col": col, "data-value": value }, display);
      const oldest = latest?.oldestQueuedAgeSeconds?.[h.id] ?? 0;
      tr.append(
        hubName(h),
        el("td", { class: "text" }, h.zone),
        cell("dcs", h.dataCenters, h.dataCenters),
        cell("used", cores(h.used), `${fmt(cores(h.used))} / ${fmt(cores(h.capacity))}`),
        cell("gpus", gpus(h.used), `${fmt(gpus(h.used))} / ${fmt(gpus(h.capacity))}`),
        cell("queue", h.queueLength, fmt(h.queueLength)),
        cell("oldest", oldest, age(oldest)),
        cell("lent", cores(h.lentNow), fmt(cores(h.lentNow))),
        cell("borrowed", cores(h.borrowedNow), fmt(cores(h.borrowedNow))),
        cell("borrowed-jobs", h.borrowedJobs, h.borrowedJobs),
        cell("energy", h.executed.energyKwh, fmt(h.executed.energyKwh)),
        cell("carbon", h.executed.carbonKg, fmt(h.executed.carbonKg)),
        cell("cost", h.executed.costCny, fmt(h.executed.costCny)));
      return tr;
    }));
  }

  function renderPairs(arrows) {
    if (arrows.length === 0) {
      els.pairRows.replaceChildren(message(9, "No capacity is lent now."));
      return;
    }
    els.pairRows.replaceChildren(...[...arrows].sort((p, q) => cores(q.amount) - cores(p.amount)).map((a) => {
      const id = `${a.borrower}->${a.lender}`;
      const tr = el("tr", { "data-pair": id, class: id === selectedPair ? "selected" : "" });
      const button = el("button", { type: "button", "data-drilldown": id }, "Loans…");
      button.addEventListener("click", () => openDrilldown(a.borrower, a.lender));
      const action = el("td", {});
      action.append(button);
      tr.append(
        el("td", { class: "text" }, `${a.borrower} → ${a.lender}${a.eastToWest ? " (east to west)" : ""}`),
        el("td", { "data-col": "loans", "data-value": a.loans }, fmt(a.loans)),
        el("td", { "data-col": "cores", "data-value": cores(a.amount) }, fmt(cores(a.amount))),
        el("td", {}, fmt(gpus(a.amount))),
        el("td", {}, fmt(a.usage?.jobs ?? 0)),
        el("td", {}, fmt(a.usage?.coreHours ?? 0)),
        el("td", {}, fmt(a.usage?.saved?.carbonKg ?? 0)),
        el("td", {}, fmt(a.usage?.chargeCny ?? 0)),
        action);
      return tr;
    }));
  }

  // --- start -----------------------------------------------------------------------------------------------------

  els.form.addEventListener("submit", (event) => {
    event.preventDefault();
    const key = els.input.value.trim();
    els.input.value = "";
    if (key) start(key);
  });
  els.forget.addEventListener("click", () => askForKey("Key forgotten."));
  els.drilldownClose.addEventListener("click", closeDrilldown);
  window.addEventListener("resize", () => { if (lastFeed) renderTrends(lastFeed.trends, lastFeed.hubs); });

  if (sessionStorage.getItem(STORAGE_KEY)) start(sessionStorage.getItem(STORAGE_KEY));
  else askForKey();
})();
