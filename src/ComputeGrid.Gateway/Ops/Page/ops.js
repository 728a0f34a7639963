// The federation view: asks for an operator key once (kept in this tab's sessionStorage), then polls
// GET /v1/ops/federation with it and redraws the map, the totals and the tables. All data goes in through
// textContent and SVG attributes, never as HTML.
"use strict";

(() => {
  const FEED = "/v1/ops/federation";
  const KEY_HEADER = "X-API-Key";
  const STORAGE_KEY = "computegrid.ops.key";
  const POLL_MS = 2000;
  const SVG = "http://www.w3.org/2000/svg";

  // Equirectangular projection around 32°N, wide enough for every national hub.
  const MAP = { lonMin: 96, lonMax: 126, latMin: 19, latMax: 44, scale: 24, left: 40, top: 20, cosLat: Math.cos(32 * Math.PI / 180) };
  const project = (lat, lon) => [MAP.left + (lon - MAP.lonMin) * MAP.cosLat * MAP.scale, MAP.top + (MAP.latMax - lat) * MAP.scale];

  const $ = (id) => document.getElementById(id);
  const els = {
    status: $("status"), form: $("key-form"), input: $("key-input"), keyError: $("key-error"), forget: $("forget-key"),
    view: $("view"), totals: $("totals"), flow: $("flow"), arrows: $("arrows"), hubs: $("hubs"), graticule: $("graticule"),
    hubRows: document.querySelector("#hubs-table tbody"), loanRows: document.querySelector("#loans-table tbody"),
  };

  let timer = null;
  let controller = null;

  const number = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
  const precise = new Intl.NumberFormat("en-US", { maximumSignificantDigits: 4 });
  const fmt = (v) => (Math.abs(v) >= 1000 ? number.format(v) : precise.format(v));
  const pct = (v) => `${(v * 100).toFixed(1)}%`;
  const cores = (capacity) => capacity.cpuMillicores / 1000;
  const gpus = (capacity) => Object.values(capacity.gpus || {}).reduce((a, b) => a + b, 0);

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

  async function poll() {
    const key = sessionStorage.getItem(STORAGE_KEY);
    if (!key) return askForKey();
    controller = new AbortController();
    try {
      const response = await fetch(FEED, { headers: { [KEY_HEADER]: key, Accept: "application/json" }, cache: "no-store", signal: controller.signal });
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
    els.view.hidden = false;
    const hubs = new Map(feed.hubs.map((h) => [h.id, h]));
    renderTotals(feed);
    renderFlow(feed.eastToWest);
    renderMap(feed, hubs);
    renderHubRows(feed.hubs);
    renderLoanRows(feed.openLoans);
    els.status.dataset.updated = feed.at;
    setStatus("live", `Live · updated ${new Date(feed.at).toLocaleTimeString("en-GB")}${feed.loansTruncated ? " · loan figures cover the newest 5,000 loans" : ""}`);
  }

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
      card("energy", "Energy (kWh)", t.executed.energyKwh, fmt(t.executed.energyKwh), "facility energy of finished work"),
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
    row("gpu-hours", "GPU-hours used", f.gpuHours, fmt(f.gpuHours));
    row("energy", "Energy there (kWh)", f.footprint.energyKwh, fmt(f.footprint.energyKwh));
    row("carbon-saved", "Carbon saved (kgCO2)", f.saved.carbonKg, fmt(f.saved.carbonKg));
    els.flow.replaceChildren(
      el("h2", {}, "East → west (东数西算)"),
      dl,
      el("p", {}, "Capacity eastern hubs borrow from western hubs on loans, and what eastern work used there."));
  }

  function drawGraticule() {
    const g = els.graticule;
    for (let lon = MAP.lonMin; lon <= MAP.lonMax; lon += 5) {
      const [x1, y1] = project(MAP.latMax, lon);
      const [, y2] = project(MAP.latMin, lon);
      g.append(svg("line", { x1, y1, x2: x1, y2 }), svg("text", { x: x1 + 2, y: y2 - 4 }, `${lon}°E`));
    }
    for (let lat = MAP.latMin + 1; lat <= MAP.latMax; lat += 5) {
      const [x1, y] = project(lat, MAP.lonMin);
      const [x2] = project(lat, MAP.lonMax);
      g.append(svg("line", { x1, y1: y, x2, y2: y }), svg("text", { x: x1 + 2, y: y - 3 }, `${lat}°N`));
    }
    const [wx, wy] = project(42.5, 98);
    const [ex, ey] = project(42.5, 119);
    g.append(svg("text", { x: wx, y: wy, class: "zone-label" }, "WEST · resource side"), svg("text", { x: ex, y: ey, class: "zone-label" }, "EAST · demand side"));
  }

  function radiusOf(hub, largest) {
    return 8 + 18 * Math.sqrt(largest > 0 ? cores(hub.capacity) / largest : 0);
  }

  // A hub's label goes to its left when another hub sits just to its right (Inner Mongolia beside Beijing) or the
  // label would leave the map (Yangtze River Delta on the coast).
  function labelsLeft(points) {
    const [right] = project(0, MAP.lonMax);
    return new Set(points
      .filter(([, x, y]) => x > right - 170 || points.some(([, ox, oy]) => ox - x > 0 && ox - x < 170 && Math.abs(oy - y) < 50))
      .map(([id]) => id));
  }

  function renderMap(feed, hubs) {
    const largest = Math.max(...feed.hubs.map((h) => cores(h.capacity)), 0);
    const left = labelsLeft(feed.hubs.map((h) => [h.id, ...project(h.location.lat, h.location.lon)]));
    const nodes = feed.hubs.map((h) => {
      const [x, y] = project(h.location.lat, h.location.lon);
      const r = radiusOf(h, largest);
      const side = left.has(h.id) ? { x: -(r + 10), "text-anchor": "end" } : { x: r + 10 };
      const util = h.targets.utilisation.value;
      const circumference = 2 * Math.PI * (r + 4);
      const g = svg("g", { class: `hub ${h.zone.toLowerCase()}`, "data-hub": h.id, transform: `translate(${x.toFixed(1)},${y.toFixed(1)})` });
      g.append(
        svg("title", {}, `${h.name} (${h.nameZh}), ${h.zone}: ${fmt(cores(h.used))} of ${fmt(cores(h.capacity))} cores used, ${h.queueLength} queued`),
        svg("circle", { class: "body", r: r.toFixed(1) }),
        svg("circle", { class: "track", r: (r + 4).toFixed(1) }),
        svg("circle", {
          class: "ring", r: (r + 4).toFixed(1), transform: "rotate(-90)",
          "stroke-dasharray": `${(Math.min(1, util) * circumference).toFixed(1)} ${circumference.toFixed(1)}`,
        }),
        svg("text", { class: "name", ...side, y: -4 }, `${h.nameZh} ${h.id}`),
        svg("text", { class: "use", ...side, y: 10, "data-value": cores(h.used) }, `${fmt(cores(h.used))}/${fmt(cores(h.capacity))} cores · ${pct(util)}`),
        svg("text", { class: `queue${h.queueLength > 0 ? " waiting" : ""}`, ...side, y: 23, "data-value": h.queueLength }, `queue ${h.queueLength}`));
      return g;
    });
    els.hubs.replaceChildren(...nodes);

    const largestLoan = Math.max(...feed.arrows.map((a) => cores(a.amount)), 1);
    els.arrows.replaceChildren(...feed.arrows.filter((a) => hubs.has(a.borrower) && hubs.has(a.lender)).map((a) => {
      const from = hubs.get(a.borrower);
      const to = hubs.get(a.lender);
      const [x1, y1] = project(from.location.lat, from.location.lon);
      const [x2, y2] = project(to.location.lat, to.location.lon);
      // Bend each arrow to its right, so the two directions between a pair of hubs do not overlap.
      const dx = x2 - x1, dy = y2 - y1, len = Math.hypot(dx, dy) || 1;
      const nx = -dy / len, ny = dx / len, bend = Math.min(60, len * 0.2);
      const cx = (x1 + x2) / 2 + nx * bend, cy = (y1 + y2) / 2 + ny * bend;
      const rFrom = radiusOf(from, largest) + 6, rTo = radiusOf(to, largest) + 8;
      const [sx, sy] = toward(x1, y1, cx, cy, rFrom);
      const [ex, ey] = toward(x2, y2, cx, cy, rTo);
      const width = 1.5 + 4 * Math.sqrt(cores(a.amount) / largestLoan);
      const g = svg("g", { class: `arrow${a.eastToWest ? " ew" : ""}`, "data-arrow": `${a.borrower}->${a.lender}` });
      const label = `${fmt(cores(a.amount))} cores${gpus(a.amount) ? ` · ${fmt(gpus(a.amount))} GPUs` : ""}${a.loans > 1 ? ` · ${a.loans} loans` : ""}`;
      g.append(
        svg("title", {}, `${a.borrower} borrows from ${a.lender}: ${label}`),
        svg("path", { d: `M ${sx.toFixed(1)} ${sy.toFixed(1)} Q ${cx.toFixed(1)} ${cy.toFixed(1)} ${ex.toFixed(1)} ${ey.toFixed(1)}`, "stroke-width": width.toFixed(1) }),
        svg("text", { x: ((sx + 2 * cx + ex) / 4).toFixed(1), y: ((sy + 2 * cy + ey) / 4).toFixed(1), "text-anchor": "middle", "data-value": cores(a.amount) }, label));
      return g;
    }));
  }

  function toward(x, y, tx, ty, distance) {
    const dx = tx - x, dy = ty - y, len = Math.hypot(dx, dy) || 1;
    return [x + (dx / len) * distance, y + (dy / len) * distance];
  }

  function reading(r, format, label) {
    const td = el("td", { class: r.meets ? "meets" : "misses", "data-meets": r.meets, "data-value": r.value });
    td.append(document.createTextNode(`${r.meets ? "✓" : "✗"} ${format(r.value)}${label ? ` / ${label}` : ""}`));
    if (r.basis === "Capacity") td.append(el("span", { class: "basis", title: "no work finished here yet: weighted by CPU capacity" }, "design"));
    if (r.basis === "FinishedWork") td.append(el("span", { class: "basis", title: "weighted by the kWh of finished work" }, "work"));
    return td;
  }

  function renderHubRows(hubs) {
    els.hubRows.replaceChildren(...hubs.map((h) => {
      const tr = el("tr", { "data-hub-row": h.id });
      const cell = (col, value, display) => el("td", { "data-col": col, "data-value": value }, display);
      const name = el("td", { class: "text", title: h.name });
      name.append(el("strong", {}, h.id), document.createTextNode(` ${h.nameZh}`));
      tr.append(
        name,
        el("td", { class: "text" }, h.zone),
        reading(h.targets.pue, (v) => v.toFixed(3), `≤ ${h.targets.pue.target}`),
        reading(h.targets.utilisation, pct),
        reading(h.targets.greenShare, pct),
        cell("dcs", h.dataCenters, h.dataCenters),
        cell("used", cores(h.used), `${fmt(cores(h.used))} / ${fmt(cores(h.capacity))}`),
        cell("gpus", gpus(h.used), `${fmt(gpus(h.used))} / ${fmt(gpus(h.capacity))}`),
        cell("queue", h.queueLength, h.queueLength),
        cell("lent", cores(h.lentNow), fmt(cores(h.lentNow))),
        cell("borrowed", cores(h.borrowedNow), fmt(cores(h.borrowedNow))),
        cell("borrowed-jobs", h.borrowedJobs, h.borrowedJobs),
        cell("energy", h.executed.energyKwh, fmt(h.executed.energyKwh)),
        cell("carbon", h.executed.carbonKg, fmt(h.executed.carbonKg)),
        cell("cost", h.executed.costCny, fmt(h.executed.costCny)));
      return tr;
    }));
  }

  function renderLoanRows(loans) {
    if (loans.length === 0) {
      const tr = el("tr", { class: "empty" });
      tr.append(el("td", { colspan: 8 }, "No capacity is lent now."));
      els.loanRows.replaceChildren(tr);
      return;
    }
    els.loanRows.replaceChildren(...loans.map((l) => {
      const tr = el("tr", { "data-loan": l.loanId });
      tr.append(
        el("td", { class: "text" }, l.loanId),
        el("td", { class: "text" }, `${l.borrower} → ${l.lender}`),
        el("td", { class: "text" }, l.state),
        el("td", {}, fmt(cores(l.amount))),
        el("td", {}, fmt(gpus(l.amount))),
        el("td", {}, fmt(l.usage.jobs)),
        el("td", {}, fmt(l.usage.chargeCny)),
        el("td", { class: "text" }, l.acceptedAt ? new Date(l.acceptedAt).toLocaleTimeString("en-GB") : ""));
      return tr;
    }));
  }

  els.form.addEventListener("submit", (event) => {
    event.preventDefault();
    const key = els.input.value.trim();
    els.input.value = "";
    if (key) start(key);
  });
  els.forget.addEventListener("click", () => askForKey("Key forgotten."));

  drawGraticule();
  if (sessionStorage.getItem(STORAGE_KEY)) start(sessionStorage.getItem(STORAGE_KEY));
  else askForKey();
})();
