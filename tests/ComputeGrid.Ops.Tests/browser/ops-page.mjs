// Drives the /ops page in the system's headless Chromium for OpsPageTests (xunit), which starts the silo host and
// submits the jobs. Protocol, one JSON object per stdout line:
//   1. refuses a partner key, opens the page with the operator key, waits until every hub is drawn, then prints
//      {"event":"ready","snapshot":{...}} (with the fonts Chromium drew the title's Chinese in, and whether they had its
//      glyphs: without a CJK font every one is the same empty box);
//   2. waits for the line "jobs-submitted" on stdin;
//   3. waits (deadline) until the page, without reloading, shows a loan arrow from --expect-arrow and more finished
//      work than before, saves --screenshot and prints {"event":"changed","snapshot":{...}}.
// Any failure prints {"event":"error","message":...}, saves the screenshot if it can and exits 1.
// Usage: node ops-page.mjs --url URL --key OPERATOR_KEY --partner-key KEY --chromium PATH --screenshot FILE --expect-arrow yangtze->guizhou
import { chromium } from "playwright-core";
import { createInterface } from "node:readline";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";

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
      cores: Number(g.querySelector("text").getAttribute("data-value")),
      label: g.querySelector("text").textContent,
      eastToWest: g.classList.contains("ew"),
    })),
    totals: Object.fromEntries([...document.querySelectorAll("[data-total]")].map((c) => [c.getAttribute("data-total"), Number(c.querySelector(".value").getAttribute("data-value"))])),
    flow: Object.fromEntries([...document.querySelectorAll("[data-flow]")].map((d) => [d.getAttribute("data-flow"), Number(d.getAttribute("data-value"))])),
    hubUsedCores: Object.fromEntries([...document.querySelectorAll("#hubs-table tr[data-hub-row]")].map((r) => [r.getAttribute("data-hub-row"), Number(r.querySelector("[data-col=used]").getAttribute("data-value"))])),
    targets: Object.fromEntries([...document.querySelectorAll("#hubs-table tr[data-hub-row]")].map((r) => [r.getAttribute("data-hub-row"), [...r.querySelectorAll("[data-meets]")].map((c) => c.getAttribute("data-meets") === "true")])),
    openLoanRows: document.querySelectorAll("#loans-table tbody tr[data-loan]").length,
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

const browser = await chromium.launch({ executablePath: args.chromium, headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
const page = await browser.newPage({ viewport: { width: 1440, height: 1300 } });
page.setDefaultTimeout(timeout);
const read = () => page.evaluate(`(${snapshot.toString()})()`);
try {
  await page.goto(new URL("/ops", args.url).toString());
  await page.locator("#key-form").waitFor({ state: "visible" });

  await page.fill("#key-input", args["partner-key"]);
  await page.click("#key-form button[type=submit]");
  await page.waitForFunction(() => document.getElementById("key-error").textContent.startsWith("403"));

  await page.fill("#key-input", args.key);
  await page.click("#key-form button[type=submit]");
  await page.waitForFunction(() => document.querySelectorAll("#hubs [data-hub]").length >= 8 && document.querySelectorAll("#hubs-table tbody tr[data-hub-row]").length >= 8);
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
} catch (error) {
  try {
    mkdirSync(dirname(args.screenshot), { recursive: true });
    await page.screenshot({ path: args.screenshot, fullPage: true });
    emit("error", { message: String(error?.message ?? error), snapshot: await read() });
  } catch {
    emit("error", { message: String(error?.message ?? error) });
  }
  process.exitCode = 1;
} finally {
  await browser.close();
  process.stdin.destroy();
}
