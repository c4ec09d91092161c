// The live app's benchmark in headless Chromium: time to the last step of a run and the frame
// rate while it samples, on the threaded build (served with COOP/COEP) or the single-thread one.
//
// usage: node bench_app.js WEB_DIR PLAYWRIGHT_CORE_DIR [threads|single] [QUERY] [--no-drawing]
//        node bench_app.js WEB_DIR PLAYWRIGHT_CORE_DIR threads|single --first|--done QUERY...
// Prints one JSON line. QUERY defaults to moons, N = 5,000, 2,000 samples, 100 steps, sigma = 0.1,
// M = 4. The page renders with SwiftShader (software WebGL) here, on the same cores that sample;
// with --no-drawing the app stops drawing once its first step is on screen
// (window.cfdm.setDrawing(false)), so the time is the sampling's in the page.
// With --first: for each QUERY, a fresh page (no cache) and the time from the start of its
// navigation to the first step on screen (moving samples), one JSON line each (image datasets:
// also a second visit, the data cached). With --done, the same to the run's end on screen (every
// model's samples finished: a comparison's rows), and for a comparison to its first finished row.
'use strict';
const { launch, serve, waitForStats, finished } = require('./common.js');

const noDrawing = process.argv.includes('--no-drawing');
const [webDir, playwrightDir, build = 'threads',
       query = 'dataset=moons&n_train=5000&n_samples=2000&steps=100&sigma=0.1&draws=4&seed=0'] =
  process.argv.slice(2).filter(a => a !== '--no-drawing');

// Seconds from the navigation's start (performance's time origin) to the first step shown
// (toEnd: to the last step shown, every sample finished), polled every 10 ms in the page.
async function timeToPicture(queries, toEnd) {
  const port = 19000 + (process.pid % 1000);
  const server = await serve(webDir, port, build === 'threads' ? [] : ['--no-isolation']);
  const browser = await launch(playwrightDir);
  try {
    // A reader's browser is running already: its GPU process is started by a blank page with a
    // WebGL2 canvas (in a context of its own, so no cache of the app's files is warmed) before any
    // page is timed; otherwise the first query's time holds the browser's own start.
    const warm = await browser.newContext();
    await (await warm.newPage()).setContent('<canvas id="c"></canvas><script>document.getElementById("c").getContext("webgl2");</script>');
    await warm.close();
    for (const q of queries) {
      const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
      // Image datasets twice: a fresh page, then a second visit in the same browser context (the
      // dataset in the page's cache).
      for (const visit of /dataset=(fashion-)?mnist/.test(q) ? ['first', 'second'] : ['first']) {
        const page = await context.newPage();
        await page.goto(`http://127.0.0.1:${port}/index.html?${q}`, { waitUntil: 'commit' });
        await page.waitForFunction(end => {
          const s = window.cfdm && window.cfdm.stats && window.cfdm.stats();  // null until the app runs
          if (s && window.appRunning === undefined) window.appRunning = performance.now() / 1000;
          // A comparison: the first model's row finished on screen (its models step on their own).
          if (s && window.firstRow === undefined && s.groups.some(g => g.done) && s.view_step === s.step && !s.loading)
            window.firstRow = performance.now() / 1000;
          const done = s && (end ? s.step === s.n_steps && s.samples_done === s.n_samples && !s.loading &&
                                   s.view_step === s.step : s.step > 0);
          // the time is taken here, in the page, when the poll first sees it (not after another
          // round trip from the benchmark, which waits for the page's busy main thread)
          if ((done || (s && s.error !== '')) && window.pictureAt === undefined) window.pictureAt = performance.now() / 1000;
          return done || (s && s.error !== '');
        }, toEnd, { polling: 10, timeout: toEnd ? 300000 : 60000 });
        const [seconds, running, firstRow, stats, marks] = await page.evaluate(() => [
          window.pictureAt, window.appRunning, window.firstRow, window.cfdm.stats(),
          // the start's milestones (web/loader.js), in seconds from the navigation's start
          Object.fromEntries(performance.getEntriesByType('mark').filter(m => m.name.startsWith('cfdm-'))
                               .map(m => [m.name.slice(5), m.startTime / 1000]))]);
        console.log(JSON.stringify({ workload: toEnd ? 'finished_picture' : 'first_picture', build: stats.build,
                                     threads: stats.threads, query: q, visit, seconds, app_running: running,
                                     first_row_seconds: firstRow === undefined ? null : firstRow,
                                     run_seconds: stats.seconds, error: stats.error, marks }));
        await page.close();
      }
      await context.close();
    }
  } finally {
    await browser.close();
    server.kill();
  }
}

async function main() {
  if (process.argv[5] === '--first' || process.argv[5] === '--done')
    return timeToPicture(process.argv.slice(6), process.argv[5] === '--done');
  const port = 19000 + (process.pid % 1000);
  const server = await serve(webDir, port, build === 'threads' ? [] : ['--no-isolation']);
  const browser = await launch(playwrightDir);
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    // Every animation frame's time: the app draws one frame per animation frame.
    await page.addInitScript(() => {
      window.frameTimes = [];
      const tick = t => { window.frameTimes.push(t); requestAnimationFrame(tick); };
      requestAnimationFrame(tick);
    });
    await page.goto(`http://127.0.0.1:${port}/index.html?${query}`);
    const first = await waitForStats(page, s => s.step > 0 || s.error !== '', 60);
    if (noDrawing) await page.evaluate(() => window.cfdm.setDrawing(false));
    const startFrame = await page.evaluate(() => [performance.now(), window.frameTimes.length]);
    const stats = await waitForStats(page, s => finished(s) || s.error !== '', 600);
    const endFrame = await page.evaluate(() => [performance.now(), window.frameTimes.length]);
    if (!stats || !finished(stats) || stats.error) throw new Error(`the run did not finish: ${JSON.stringify(stats || first)}`);
    const fps = (endFrame[1] - startFrame[1]) / ((endFrame[0] - startFrame[0]) / 1000);
    console.log(JSON.stringify({ workload: 'app', build: stats.build, threads: stats.threads, query, drawing: !noDrawing,
                                 seconds_to_last_step: stats.seconds, fps_while_sampling: fps }));
  } finally {
    await browser.close();
    server.kill();
  }
}

main().catch(e => { console.error(e.stack || String(e)); process.exit(1); });
