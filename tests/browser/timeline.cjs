// timeline.cjs: open an HTML timeline (bin/timeline --html) in Chromium,
// driven by playwright-core, and print what it drew as one JSON object:
// the lanes (pid, x), the segments (t, pid, flags, dir, the x where the
// arrow starts), the calls (t, pid, x), the bands' holders in row order,
// each drawn row's y and ms, the row marked current and the log line shown,
// and how long the page took to be ready (ms).
//
// usage: node timeline.cjs FILE.html [--steps N]   (NODE_PATH: where
// playwright-core is)
//   with --steps, the page is stepped N times with "j", and the row then
//   marked current is given too (now).
"use strict";
const { chromium } = require("playwright-core");

async function main() {
const [file, flag, n] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
try {
  const page = await browser.newPage();
  const t0 = Date.now();
  await page.goto("file://" + file);
  await page.waitForSelector("body[data-ready='1']", { timeout: 60000 });
  const ready = Date.now() - t0;
  if (flag === "--steps")
    for (let i = 0; i < Number(n); i++) await page.keyboard.press("j");
  const drawn = await page.evaluate(() => {
    const num = (e, a) => Number(e.getAttribute(a));
    const all = s => [...document.querySelectorAll(s)];
    return {
      lanes: all("line.lane").map(e => ({ pid: e.dataset.pid, x: num(e, "x1") })),
      segments: all("g.segment").map(e => ({ t: e.dataset.t, pid: e.dataset.pid,
        flags: e.dataset.flags, dir: e.dataset.dir, x: num(e.querySelector("line"), "x1") })),
      calls: all("g.call").map(e => ({ t: e.dataset.t, pid: e.dataset.pid,
        x: num(e.querySelector("circle"), "cx") })),
      holders: all("g.band").map(e => e.dataset.holders),
      rows: all("g[data-row]").map(e => {
        const texts = [...e.querySelectorAll(":scope > text")];
        const ms = texts.find(t => / ms$/.test(t.textContent) && !/\.\.\./.test(t.textContent));
        return { row: Number(e.dataset.row), y: Number(ms.getAttribute("y")) - 4,
          ms: parseFloat(ms.textContent) };
      }),
      now: (document.querySelector(".now") || { dataset: {} }).dataset.row,
      raw: document.getElementById("raw").textContent,
    };
  });
  drawn.ready = ready;
  console.log(JSON.stringify(drawn));
} finally {
  await browser.close();
}
}

main().catch(e => { console.error("timeline.cjs: " + e.message); process.exit(1); });
