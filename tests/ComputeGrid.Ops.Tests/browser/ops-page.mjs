// Drives the /ops page in the system's headless Chromium for OpsPageTests (xunit), which starts the silo host and
// submits the jobs. Protocol, one JSON object per stdout line.
// --mode live (the default):
//   1. refuses a partner key, opens the page with the operator key, waits until every hub is drawn, then prints
//      {"event":"ready","snapshot":{...}} (with the fonts Chromium drew the title's Chinese in, and whether they had its
//      glyphs: without a CJK font every one is the same empty box);
//   2. waits for the line "jobs-submitted" on stdin;
//   3. waits (deadline) until the page, without reloading, shows a loan arrow from --expect-arrow and more finished
//      work than before, saves --screenshot and prints {"event":"changed","snapshot":{...}}.
// --mode layout (the pool under load, at least --min-arrows arrows): for each of 1366x768 and 1920x1080 opens the page,
//   waits for the arrows and a trend point, and prints {"event":"layout","layout":{...}}: every map label's box and the
//   pairs that overlap, each table's scroll and client width, where the targets end, whether the hub labels' Chinese
//   has glyphs; saves <--screenshot-dir>/ops-<width>x<height>.png. Then, at 1366x768, hovers the widest arrow and clicks
//   it, and prints {"event":"drilldown","drilldown":{...}} with the tooltip's text and the loans listed.
// Any failure prints {"event":"error","message":...}, saves the screenshot if it can and exits 1.
// Usage: node ops-page.mjs --url URL --key OPERATOR_KEY --partner-key KEY --chromium PATH --screenshot FILE --expect-arrow yangtze->guizhou
//        node ops-page.mjs --mode layout --url URL --key OPERATOR_KEY --chromium PATH --screenshot-dir DIR --min-arrows 16
import { chromium } from "playwright-core";
import { createInterface } from "node:readline";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, arg, i, all) => (arg.startsWith("--") ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []));
const timeout = Number(args["timeout-ms"] ?? 60000);
const emit = (event, data) => process.stdout.write(`${JSON.stringify({ event, ...data })}\n`);
const stdinLines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();

// Everything the test asserts on, read from the DOM's data-value attributes (the exact numbers behind the text).
function snapshot() {
  return {
    hubsOnMap: [...document.querySelectorAll("#hubs [data-hub]")].map((g) => g.getAttribute("data-hub")),
    hubRows: [...document.querySelectorAll("#hubs-table tbody tr[data-hub-row]")].map((r) => r.getAttribute("data-hub-row")),
    arrows: [...document.querySelectorAll("#arrows [data-arrow]")].map((g) => ({
      id: g.getAttribute("data-arrow"),
      cores: Number(g.getAttribute("data-cores")),
      label: g.getAttribute("aria-label"),
      eastToWest: g.classList.contains("ew"),
    })),
    totals: Object.fromEntries([...document.querySelectorAll("[data-total]")].map((c) => [c.getAttribute("data-total"), Number(c.querySelector(".value").getAttribute("data-value"))])),
    flow: Object.fromEntries([...document.querySelectorAll("[data-flow]")].map((d) => [d.getAttribute("data-flow"), Number(d.getAttribute("data-value"))])),
    hubUsedCores: Object.fromEntries([...document.querySelectorAll("#hubs-table tr[data-hub-row]")].map((r) => [r.getAttribute("data-hub-row"), Number(r.querySelector("[data-col=used]").getAttribute("data-value"))])),
    targets: Object.fromEntries([...document.querySelectorAll("#targets-table tr[data-hub-row]")].map((r) => [r.getAttribute("data-hub-row"), [...r.querySelectorAll("[data-meets]")].map((c) => c.getAttribute("data-meets") === "true")])),
    pairRows: document.querySelectorAll("#pairs-table tbody tr[data-pair]").length,
    dashboardLink: document.getElementById("dashboard-link")?.getAttribute("href"),
    updated: document.getElementById("status").dataset.updated ?? null,
    status: document.getElementById("status").textContent,
    sameDocument: window.__opsTestMarker === true,
    keyFormVisible: document.getElementById("key-form").checkVisibility(),
    titleChinese: document.querySelector("header h1 [lang=zh-Hans]")?.textContent ?? null,
    titleGlyphsDrawn: drawsGlyphs(document.querySelector("header h1 [lang=zh-Hans]")),
  };

  // True when the element's text, drawn in its own font, differs from as many code points that no font has (U+10FFFD,
  // private use): a missing glyph is drawn as the same box (□) whatever the character.
  function drawsGlyphs(element) {
    if (!element) return false;
    const font = getComputedStyle(element).font;
    const draw = (text) => {
      const canvas = document.createElement("canvas");
      canvas.width = 400;
      canvas.height = 80;
      const context = canvas.getContext("2d");
      context.font = font;
      context.fillText(text, 0, 60);
      return canvas.toDataURL();
    };
    const text = element.textContent;
    return draw(text) !== draw("\u{10FFFD}".repeat([...text].length));
  }
}

// The platform fonts Chromium drew an element's text with (DevTools protocol), named in the test's failure message.
async function platformFonts(selector) {
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send("DOM.enable");
    await cdp.send("CSS.enable");
    const { root } = await cdp.send("DOM.getDocument");
    const { nodeId } = await cdp.send("DOM.querySelector", { nodeId: root.nodeId, selector });
    if (!nodeId) return [];
    const { fonts } = await cdp.send("CSS.getPlatformFontsForNode", { nodeId });
    return fonts.map((f) => `${f.familyName} (${f.glyphCount} glyphs)`);
  } finally {
    await cdp.detach();
  }
}

// Where the page's layout stands at one viewport: the boxes of the map's labels (screen pixels) and which overlap, each
// table's widths, how far the document scrolls sideways, where the targets end, and the hub labels' glyphs.
function layout() {
  const labels = [...document.querySelectorAll("#labels text")].map((t) => {
    const r = t.getBoundingClientRect();
    return { id: t.getAttribute("data-hub-label") ? `hub:${t.getAttribute("data-hub-label")}` : `arrow:${t.getAttribute("data-arrow-label")}`, left: r.left, top: r.top, right: r.right, bottom: r.bottom };
  });
  const overlapping = [];
  for (let i = 0; i < labels.length; i++) {
    for (let j = i + 1; j < labels.length; j++) {
      const a = labels[i], b = labels[j];
      if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) overlapping.push(`${a.id} / ${b.id}`);
    }
  }
  const map = document.getElementById("map").getBoundingClientRect();
  const targets = document.getElementById("targets").getBoundingClientRect();
  const hubName = document.querySelector("#labels [data-hub-label] tspan.name");
  return {
    labels,
    overlapping,
    outsideMap: labels.filter((l) => l.left < map.left || l.right > map.right || l.top < map.top || l.bottom > map.bottom).map((l) => l.id),
    hubLabels: labels.filter((l) => l.id.startsWith("hub:")).length,
    arrows: document.querySelectorAll("#arrows [data-arrow]").length,
    arrowLabels: labels.filter((l) => l.id.startsWith("arrow:")).length,
    tables: [...document.querySelectorAll(".table-wrap")].filter((w) => w.checkVisibility()).map((w) => ({ id: w.querySelector("table").id, scrollWidth: w.scrollWidth, clientWidth: w.clientWidth })),
    documentScrollWidth: document.documentElement.scrollWidth,
    viewportWidth: window.innerWidth,
    viewportHeight: window.innerHeight,
    targetsTop: targets.top,
    targetsBottom: targets.bottom,
    targetRows: document.querySelectorAll("#targets-table tbody tr[data-hub-row]").length,
    provinces: document.querySelectorAll("#land path.province").length,
    hubProvinces: [...document.querySelectorAll("#land [data-hub-province]")].map((p) => p.getAttribute("data-hub-province")),
    trendPoints: Number(document.getElementById("trends").dataset.points ?? 0),
    charts: document.querySelectorAll("#trends .uplot").length,
    arrays: [...document.querySelectorAll("#arrays-list [data-array]")].map((a) => ({ id: a.getAttribute("data-array"), ended: Number(a.getAttribute("data-ended")), count: Number(a.getAttribute("data-count")) })),
    hubLabelChinese: hubName?.textContent ?? null,
    hubLabelGlyphsDrawn: drawsGlyphs(hubName),
  };

  function drawsGlyphs(element) {
    if (!element) return false;
    const font = getComputedStyle(element).font;
    const draw = (text) => {
      const canvas = document.createElement("canvas");
      canvas.width = 400;
      canvas.height = 80;
      const context = canvas.getContext("2d");
      context.font = font;
      context.fillText(text, 0, 60);
      return canvas.toDataURL();
    };
    const chinese = [...element.textContent].filter((c) => c.codePointAt(0) > 0x2e80).join("");
    return chinese.length > 0 && draw(chinese) !== draw("\u{10FFFD}".repeat(chinese.length));
  }
}

const browser = await chromium.launch({ executablePath: args.chromium, headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
let page = null;
const read = () => page.evaluate(`(${snapshot.toString()})()`);

async function openPage(width, height) {
  page = await browser.newPage({ viewport: { width, height } });
  page.setDefaultTimeout(timeout);
  await page.goto(new URL("/ops", args.url).toString());
  await page.locator("#key-form").waitFor({ state: "visible" });
  return page;
}

async function signIn() {
  await page.fill("#key-input", args.key);
  await page.click("#key-form button[type=submit]");
  await page.waitForFunction(() => document.querySelectorAll("#hubs [data-hub]").length >= 8 && document.querySelectorAll("#hubs-table tbody tr[data-hub-row]").length >= 8);
}

async function live() {
  await openPage(1440, 1300);
  await page.fill("#key-input", args["partner-key"]);
  await page.click("#key-form button[type=submit]");
  await page.waitForFunction(() => document.getElementById("key-error").textContent.startsWith("403"));
  await signIn();
  await page.evaluate(() => { window.__opsTestMarker = true; });
  const before = await read();
  before.titleFonts = await platformFonts("header h1 [lang=zh-Hans]");
  emit("ready", { snapshot: before });

  const line = await stdinLines.next();
  if (line.done || line.value.trim() !== "jobs-submitted") throw new Error(`expected "jobs-submitted" on stdin, got ${JSON.stringify(line.value)}`);

  await page.waitForFunction(
    ({ arrow, finished, updated }) => {
      const g = document.querySelector(`#arrows [data-arrow="${arrow}"]`);
      const done = Number(document.querySelector("[data-total=finished] .value")?.getAttribute("data-value"));
      return g !== null && done > finished && document.getElementById("status").dataset.updated !== updated;
    },
    { arrow: args["expect-arrow"], finished: before.totals.finished, updated: before.updated },
    { polling: 100 });
  const after = await read();
  mkdirSync(dirname(args.screenshot), { recursive: true });
  await page.screenshot({ path: args.screenshot, fullPage: true });
  emit("changed", { snapshot: after });
}

async function layouts() {
  mkdirSync(args["screenshot-dir"], { recursive: true });
  const minArrows = Number(args["min-arrows"] ?? 1);
  for (const [width, height] of [[1366, 768], [1920, 1080]]) {
    await openPage(width, height);
    await signIn();
    await page.waitForFunction((min) => document.querySelectorAll("#arrows [data-arrow]").length >= min && Number(document.getElementById("trends").dataset.points ?? 0) >= 2, minArrows, { polling: 200 });
    // Two polls later, so the layout measured is one the page settled on, not the first draw.
    const seen = await page.evaluate(() => document.getElementById("status").dataset.updated);
    await page.waitForFunction((at) => document.getElementById("status").dataset.updated !== at, seen, { polling: 100 });
    const measured = await page.evaluate(`(${layout.toString()})()`);
    const screenshot = join(args["screenshot-dir"], `ops-${width}x${height}.png`);
    await page.screenshot({ path: screenshot });
    emit("layout", { layout: { ...measured, screenshot } });
    if (width === 1366) await drilldown();
    await page.close();
    page = null;
  }
}

// Hover the widest arrow, read its tooltip, click it and read the loans the drill-down lists.
async function drilldown() {
  const widest = await page.evaluate(() => [...document.querySelectorAll("#arrows [data-arrow]")].sort((a, b) => Number(b.dataset.cores) - Number(a.dataset.cores))[0].dataset.arrow);
  // A point of the arrow's stroke that nothing covers (a hub's circle may), in page pixels, the middle first.
  const point = await page.evaluate((id) => {
    const group = document.querySelector(`#arrows [data-arrow="${id}"]`);
    const line = group.querySelector("path.line");
    for (const t of [0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8]) {
      const p = line.getPointAtLength(line.getTotalLength() * t);
      const screen = new DOMPoint(p.x, p.y).matrixTransform(line.getScreenCTM());
      if (group.contains(document.elementFromPoint(screen.x, screen.y))) return { x: screen.x, y: screen.y };
    }
    throw new Error(`no point of the arrow ${id} is free to hover`);
  }, widest);
  await page.mouse.move(point.x, point.y);
  await page.locator("#tooltip").waitFor({ state: "visible" });
  const tooltip = await page.locator("#tooltip").textContent();
  const expected = await page.evaluate((id) => Number(document.querySelector(`#arrows [data-arrow="${id}"]`).dataset.loans), widest);
  await page.mouse.click(point.x, point.y);
  await page.waitForFunction((id) => document.getElementById("drilldown").dataset.pair === id && document.querySelectorAll("#loans-table tbody tr[data-loan]").length > 0, widest, { polling: 100 });
  const loans = await page.evaluate(() => document.querySelectorAll("#loans-table tbody tr[data-loan]").length);
  const title = await page.locator("#drilldown-title").textContent();
  await page.screenshot({ path: join(args["screenshot-dir"], "ops-drilldown.png") });
  emit("drilldown", { drilldown: { arrow: widest, tooltip, expectedLoans: expected, loans, title } });
}

try {
  if ((args.mode ?? "live") === "layout") await layouts();
  else await live();
} catch (error) {
  try {
    const shot = args.screenshot ?? join(args["screenshot-dir"], "ops-error.png");
    mkdirSync(dirname(shot), { recursive: true });
    await page.screenshot({ path: shot, fullPage: true });
    emit("error", { message: String(error?.message ?? error), snapshot: await read() });
  } catch {
    emit("error", { message: String(error?.message ?? error) });
  }
  process.exitCode = 1;
} finally {
  await browser.close();
  process.stdin.destroy();
}
