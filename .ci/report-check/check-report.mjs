// Opens a sweep report in headless Chromium (Debian's package, driven by playwright-core: no browser
// download) and checks what a reader sees:
//   - no console errors and no uncaught page errors;
//   - no network request at all (only the file itself; anything else is recorded and aborted);
//   - every chart rendered: each plot holds plotly's SVG (and canvas for WebGL traces) with drawn
//     traces and a non-empty box;
//   - at 1280 and 1920 px wide no two tables' visible boxes overlap and nothing runs past the page;
// and saves a full-page screenshot per width.
//
// Usage: node check-report.mjs REPORT.html OUT_DIR
// Environment: CHROMIUM (default /usr/bin/chromium).
import { chromium } from "playwright-core";
import { mkdtempSync, mkdirSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [reportArg, outArg] = process.argv.slice(2);
if (!reportArg || !outArg) {
  console.error("usage: node check-report.mjs REPORT.html OUT_DIR");
  process.exit(2);
}
const report = resolve(reportArg);
if (!existsSync(report)) {
  console.error(`no such report: ${report}`);
  process.exit(2);
}
const outDir = resolve(outArg);
mkdirSync(outDir, { recursive: true });
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const reportUrl = pathToFileURL(report).href;
const WIDTHS = [1280, 1920];

const problems = [];
const profile = mkdtempSync(join(tmpdir(), "report-check-profile-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    // WebGL (plotly's parcoords) on the CPU: headless with --disable-gpu has no other GL.
    "--enable-unsafe-swiftshader", "--use-angle=swiftshader",
  ],
  viewport: { width: WIDTHS[0], height: 1000 },
});
try {
  const requests = [];
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url === reportUrl || url.startsWith("data:") || url.startsWith("blob:")) {
      return route.continue();
    }
    requests.push(url);
    return route.abort();
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const consoleErrors = [];
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => consoleErrors.push(`uncaught: ${error.message}`));
  page.on("request", (request) => {
    const url = request.url();
    if (url !== reportUrl && !url.startsWith("data:") && !url.startsWith("blob:") && !requests.includes(url)) {
      requests.push(url);
    }
  });

  // Generous caps: a loaded CI machine parses 5 MB of inlined plotly.js slowly.
  page.setDefaultTimeout(180_000);
  await page.goto(reportUrl, { waitUntil: "load", timeout: 180_000 });
  await page.waitForFunction(() => document.documentElement.hasAttribute("data-plots-rendered"), null, { timeout: 180_000 });

  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: 1000 });
    // plotly resizes on window resize (responsive config); wait until every plot matches its box
    try {
      await page.waitForFunction(() => [...document.querySelectorAll("div.plot")].every((div) => {
        const svg = div.querySelector("svg.main-svg");
        return svg && Math.abs(svg.getBoundingClientRect().width - div.getBoundingClientRect().width) < 2;
      }), null, { timeout: 30_000 });
    } catch (error) {
      problems.push(`${width}px: not every chart drew at its box's width within 30 s`);
    }

    const charts = await page.evaluate(() => [...document.querySelectorAll("div.plot")].map((div) => {
      const box = div.getBoundingClientRect();
      const svgs = div.querySelectorAll("svg.main-svg");
      const canvases = [...div.querySelectorAll("canvas")].filter((c) => c.width > 0 && c.height > 0);
      const traces = div.querySelectorAll("g.trace, g.hm, g.parcoords, g.boxlayer path, g.barlayer path").length;
      const glError = /WebGL is not supported/i.test(div.textContent || "");
      return { id: div.id, width: box.width, height: box.height, svgs: svgs.length, canvases: canvases.length,
               traces, parcoords: !!div.querySelector("g.parcoords"), glError };
    }));
    if (charts.length === 0) problems.push("the report has no charts");
    for (const chart of charts) {
      if (chart.svgs === 0) problems.push(`${width}px: ${chart.id} has no SVG`);
      if (chart.width < 100 || chart.height < 100) problems.push(`${width}px: ${chart.id} is empty (${chart.width}x${chart.height})`);
      if (chart.traces === 0) problems.push(`${width}px: ${chart.id} drew no trace`);
      if (chart.parcoords && chart.canvases === 0) problems.push(`${width}px: ${chart.id} (parallel coordinates) has no canvas`);
      if (chart.glError) problems.push(`${width}px: ${chart.id}: WebGL is not supported`);
    }

    const layout = await page.evaluate(() => {
      // A table's visible box: its scroll container when it has one, else the table itself.
      const boxes = [...document.querySelectorAll("table")].map((table) => {
        const holder = table.closest(".table-box") || table;
        const r = holder.getBoundingClientRect();
        return { id: table.id || holder.parentElement?.querySelector("h3")?.textContent || "table",
                 left: r.left + scrollX, top: r.top + scrollY, right: r.right + scrollX, bottom: r.bottom + scrollY };
      });
      const overlaps = [];
      for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
          const a = boxes[i], b = boxes[j];
          const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
          const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
          if (w > 0.5 && h > 0.5) overlaps.push(`${a.id} / ${b.id}`);
        }
      }
      const pageWidth = document.scrollingElement.scrollWidth;
      return { tables: boxes.length, overlaps, pageWidth, viewport: innerWidth };
    });
    if (layout.tables === 0) problems.push("the report has no tables");
    for (const pair of layout.overlaps) problems.push(`${width}px: tables overlap: ${pair}`);
    if (layout.pageWidth > layout.viewport + 1) {
      problems.push(`${width}px: the page is ${layout.pageWidth}px wide (something runs past the layout)`);
    }
    const shot = join(outDir, `report-${width}.png`);
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`${width}px: ${charts.length} charts, ${layout.tables} tables, screenshot ${shot}`);
  }
  await page.emulateMedia({ media: "print" });
  await page.screenshot({ path: join(outDir, "report-print.png"), fullPage: true });
  await page.emulateMedia({ media: "screen" });

  for (const error of consoleErrors) problems.push(`console error: ${error}`);
  for (const url of requests) problems.push(`network request: ${url}`);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}

if (problems.length > 0) {
  console.error(`report check FAILED (${report}):`);
  for (const problem of problems) console.error(`  - ${problem}`);
  process.exit(1);
}
console.log(`report check passed: ${report}`);
