// Browser test of the web app in headless Chromium (Debian's chromium, npm playwright-core).
//
// usage: node test_app.js WEB_DIR SCREENSHOT_DIR PLAYWRIGHT_CORE_DIR
//
// Serves WEB_DIR (index.html, threads/ and single/ builds) with web/serve.py twice: with the
// COOP/COEP headers the page must run the threaded build, without them the single-thread build;
// both with no console errors and window.cfdm.stats() showing sampling reach the last step.
// Then, on the threaded build: the samples are drawn (orange pixels in the screenshot), crisp on a
// high-DPI screen (canvas pixels = CSS pixels x devicePixelRatio) and after a resize; a link
// (?dataset=mnist...) fetches MNIST with progress and shows the image view with every sample a
// copy at sigma = 0; touch input pans the view. Saves a screenshot of each.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { launch, serve: serveDir, waitForStats, finished, nextFrames, watchErrors, check, finish, overlap } = require('./common.js');

const [webDir, shotDir, playwrightDir] = process.argv.slice(2);
const serve = (port, extraArgs) => serveDir(webDir, port, extraArgs);

// How many pixels of a PNG screenshot are near the colour rgb (decoded by the page itself).
async function countColour(page, png, rgb, tolerance = 40) {
  return page.evaluate(async ([b64, rgb, tolerance]) => {
    const img = new Image();
    img.src = 'data:image/png;base64,' + b64;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width;
    c.height = img.height;
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    const colours = Array.isArray(rgb[0]) ? rgb : [rgb];  // one colour, or any of several
    let n = 0;
    for (let i = 0; i < d.length; i += 4)
      if (colours.some(c => Math.abs(d[i] - c[0]) + Math.abs(d[i + 1] - c[1]) + Math.abs(d[i + 2] - c[2]) < tolerance)) n++;
    return n;
  }, [png.toString('base64'), rgb, tolerance]);
}
// The samples' colours: orange in flight; once done, red for copies and green for new points.
const ORANGE = [[230, 110, 20], [205, 35, 35], [30, 140, 75]];
const IMGUI_BLUE = [66, 150, 250];  // Dear ImGui's check marks and slider grabs (light style)

// The GL state the loader keeps for the UI's renderer (web/loader.js, keepGlState: the viewport,
// scissor box and blend functions and equations) against the GL's own answers.
function keptGlState(page) {
  return page.evaluate(() => {
    const gl = document.getElementById('canvas').getContext('webgl2');
    const names = [0x0BA2, 0x0C10, 0x80C9, 0x80C8, 0x80CB, 0x80CA, 0x8009, 0x883D];
    const own = WebGL2RenderingContext.prototype.getParameter;
    const values = read => JSON.stringify(names.map(n => { const v = read(n); return typeof v === 'number' ? v : Array.from(v); }));
    const kept = values(n => gl.getParameter(n)), real = values(n => own.call(gl, n));
    return { kept: gl.getParameter !== own, same: kept === real, detail: `kept ${kept}, the GL's ${real}` };
  });
}

// Loads the page from a server started with serveArgs and checks the build it should pick.
async function scenario(browser, name, serveArgs, expected) {
  const port = 18000 + (process.pid % 1000) + (serveArgs.length ? 1 : 0);
  const server = await serve(port, serveArgs);
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    const errors = watchErrors(page);
    await page.goto(`http://127.0.0.1:${port}/index.html`);
    const isolated = await page.evaluate(() => self.crossOriginIsolated);
    check(`${name}: cross-origin isolation is ${expected.isolated}`, isolated === expected.isolated, `got ${isolated}`);
    const stats = await waitForStats(page, finished);
    check(`${name}: window.cfdm.stats() answers`, stats !== null, 'no stats');
    if (stats) {
      check(`${name}: runs the ${expected.build} build`,
            stats.build === expected.build && stats.threads >= expected.minThreads && stats.isolated === expected.isolated,
            JSON.stringify(stats));
      check(`${name}: sampling reaches the last step`,
            stats.step === stats.n_steps && stats.samples_done === stats.n_samples, JSON.stringify(stats));
      check(`${name}: no error message`, stats.error === '', stats.error);
    }
    const glState = await keptGlState(page);
    check(`${name}: the kept GL state is the GL's own`, glState.kept && glState.same, glState.detail);
    const png = await page.screenshot({ path: path.join(shotDir, `app-${name}.png`) });
    const orange = await countColour(page, png, ORANGE);
    check(`${name}: the samples are drawn`, orange > 800, `${orange} sample-coloured pixels`);
    // With drawing off (window.cfdm.setDrawing, the benchmark's switch) a new run still samples to
    // its last step; drawing on again shows it.
    const refused = await page.evaluate(() => { window.cfdm.setDrawing(false); return window.cfdm.set('seed=5'); });
    const undrawn = await waitForStats(page, s => s.step > 0 && finished(s));
    const query = await page.evaluate(() => window.cfdm.state());
    check(`${name}: with drawing off a new run reaches its last step`, refused === '' && undrawn &&
          finished(undrawn) && /seed=5/.test(query), `${refused} ${JSON.stringify(undrawn)} ${query}`);
    await page.evaluate(() => window.cfdm.setDrawing(true));
    await page.waitForTimeout(300);
    await nextFrames(page);
    const redrawn = await countColour(page, await page.screenshot(), ORANGE);
    check(`${name}: drawing on again shows the samples`, redrawn > 800, `${redrawn} sample-coloured pixels`);
    check(`${name}: no console errors`, errors.length === 0, JSON.stringify(errors));
    await page.close();
    if (expected.more) await expected.more(browser, port);
  } finally {
    server.kill();
  }
}

// High-DPI, resize, touch and image data, on the threaded build.
async function moreOnThreads(browser, port) {
  const url = `http://127.0.0.1:${port}/index.html`;
  {
    const context = await browser.newContext({ viewport: { width: 900, height: 600 }, deviceScaleFactor: 2 });
    const page = await context.newPage();
    const errors = watchErrors(page);
    await page.goto(url + '?n_samples=1000&steps=60');
    await waitForStats(page, finished);
    const size = () => page.evaluate(() => {
      const c = document.getElementById('canvas');
      return { w: c.width, h: c.height, cssW: c.clientWidth, cssH: c.clientHeight, dpr: devicePixelRatio };
    });
    // (getContext returns the context the app made; its attributes are what the app asked for)
    const attributes = await page.evaluate(() => document.getElementById('canvas').getContext('webgl2').getContextAttributes());
    check('the WebGL context has no depth, stencil or multisampling buffer (none is used; each slows its making)',
          attributes && !attributes.depth && !attributes.stencil && !attributes.antialias, JSON.stringify(attributes));
    let s = await size();
    check('high-DPI: the canvas has devicePixelRatio pixels per CSS pixel', s.dpr === 2 && s.w === 2 * s.cssW && s.h === 2 * s.cssH,
          JSON.stringify(s));
    await page.screenshot({ path: path.join(shotDir, 'app-hidpi.png') });
    await page.setViewportSize({ width: 640, height: 420 });
    await page.waitForTimeout(500);
    await nextFrames(page);
    s = await size();
    check('resize: the canvas follows the window', s.cssW === 640 && s.cssH === 420 && s.w === 1280 && s.h === 840,
          JSON.stringify(s));
    const png = await page.screenshot({ path: path.join(shotDir, 'app-resized.png') });
    const orange = await countColour(page, png, ORANGE);
    check('resize: the samples are still drawn', orange > 100, `${orange} sample-coloured pixels`);
    // A 4K window (3840 x 2160 pixels at twice the CSS pixels, as a 4K monitor at 200%): the canvas
    // fills it, the samples are drawn.
    await page.setViewportSize({ width: 1920, height: 1080 });
    await page.waitForTimeout(500);
    await nextFrames(page);
    s = await size();
    check('4K: the canvas has 3840 x 2160 pixels', s.w === 3840 && s.h === 2160, JSON.stringify(s));
    const big = await page.screenshot({ path: path.join(shotDir, 'app-4k.png') });
    const drawn = await countColour(page, big, ORANGE);
    check('4K: the samples are drawn', drawn > 100, `${drawn} sample-coloured pixels`);
    check('high-DPI and resize: no console errors', errors.length === 0, JSON.stringify(errors));
    await context.close();
  }
  {
    // Touch: a one-finger drag pans the view (the samples move on screen).
    const context = await browser.newContext({ viewport: { width: 800, height: 600 }, hasTouch: true, isMobile: false });
    const page = await context.newPage();
    const errors = watchErrors(page);
    await page.goto(url + '?n_samples=500&steps=30');
    await waitForStats(page, finished);
    const before = await countColour(page, await page.screenshot({ clip: { x: 500, y: 0, width: 300, height: 600 } }), ORANGE);
    const cdp = await context.newCDPSession(page);
    const touch = (type, x, y) => cdp.send('Input.dispatchTouchEvent', { type, touchPoints: type === 'touchEnd' ? [] : [{ x, y }] });
    // (from the middle right: the status window sits at the bottom right beside the open controls,
    // and a touch on a window is the window's, not the canvas's)
    await touch('touchStart', 600, 260);
    for (let i = 1; i <= 10; i++) await touch('touchMove', 600 - 30 * i, 260);
    await touch('touchEnd');
    await page.waitForTimeout(300);
    await nextFrames(page);
    const after = await countColour(page, await page.screenshot({ path: path.join(shotDir, 'app-touch.png'),
                                                                  clip: { x: 500, y: 0, width: 300, height: 600 } }), ORANGE);
    check('touch: dragging with a finger pans the view', after < before * 0.7, `sample pixels on the right ${before} -> ${after}`);
    check('touch: no console errors', errors.length === 0, JSON.stringify(errors));
    await context.close();
  }
  {
    // WebGL context loss: sampling goes on, and drawing comes back with the context. Then a
    // window resized to 1 x 1 pixel and back.
    const page = await browser.newPage({ viewport: { width: 900, height: 600 } });
    const errors = watchErrors(page);
    await page.goto(url + '?n_samples=800&steps=300');
    await waitForStats(page, s => s.step > 5);
    await page.evaluate(() => {
      window.loseContext = document.getElementById('canvas').getContext('webgl2').getExtension('WEBGL_lose_context');
      window.loseContext.loseContext();
    });
    const lost = await waitForStats(page, () => true, 1);
    // The next steps, or the last, while the context is still lost. (A loaded machine can hold the
    // page's frames for a while as the browser drops the context: the wait is for progress, up to
    // 15 s, not a fixed time.)
    const during = await waitForStats(page, s => s.step > lost.step || s.step === s.n_steps, 15);
    const stillLost = await page.evaluate(() => document.getElementById('canvas').getContext('webgl2').isContextLost());
    check('context loss: sampling goes on while nothing can be drawn',
          stillLost && (during.step > lost.step || during.step === during.n_steps),
          `${lost.step} -> ${during.step}, context lost: ${stillLost}`);
    await page.evaluate(() => window.loseContext.restoreContext());
    await waitForStats(page, finished);
    await page.waitForTimeout(500);
    await nextFrames(page);
    const restored = await page.screenshot({ path: path.join(shotDir, 'app-context-restored.png') });
    let orange = await countColour(page, restored, ORANGE);
    const controls = await countColour(page, restored, IMGUI_BLUE, 30);
    check('context loss: samples and controls are drawn again with the context', orange > 150 && controls > 50,
          `${orange} sample-coloured pixels, ${controls} of the controls' blue`);
    await page.setViewportSize({ width: 1, height: 1 });
    await page.waitForTimeout(400);
    await page.setViewportSize({ width: 900, height: 600 });
    await page.waitForTimeout(600);
    await nextFrames(page);
    orange = await countColour(page, await page.screenshot({ path: path.join(shotDir, 'app-tiny-and-back.png') }), ORANGE);
    check('resize: to 1 x 1 pixel and back, it draws again', orange > 150, `${orange} sample-coloured pixels`);
    const glState = await keptGlState(page);
    check('context loss and resize: the kept GL state is the GL\'s own', glState.kept && glState.same, glState.detail);
    const stats = await waitForStats(page, () => true, 1);
    check('context loss and tiny window: no error', stats && stats.error === '', JSON.stringify(stats));
    check('context loss and tiny window: no console errors', errors.length === 0, JSON.stringify(errors));
    await page.close();
  }
  {
    // MNIST from a link: fetched with progress, then each sample beside its nearest training image.
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    const page = await context.newPage();
    const errors = watchErrors(page);
    const mnistLink = url + '?dataset=mnist&classes=3&n_train=500&n_samples=16&steps=20&sigma=0';
    const firstRequests = [];
    page.on('request', r => { if (r.url().includes('/data/')) firstRequests.push(r.url().split('/').pop()); });
    // The class's images (1 MB) may arrive before the app runs: their response is held until the
    // page has shown the fetch under way.
    let release;
    const held = new Promise(resolve => { release = resolve; });
    const imagesFile = '**/data/mnist-class-3-images.idx.gz';
    await context.route(imagesFile, async route => { await held; await route.continue(); });
    const firstVisit = Date.now();
    await page.goto(mnistLink);
    const loading = await waitForStats(page, s => s.loading || s.step > 0, 30);
    release();  // (the route stays: held is settled, so later requests pass at once)
    check('mnist: the fetch is reported while it runs', loading && loading.dataset === 'mnist' && loading.loading,
          JSON.stringify(loading));
    const stats = await waitForStats(page, finished, 120);
    check('mnist: sampling reaches the last step', stats && finished(stats) && stats.error === '', JSON.stringify(stats));
    check('mnist: at sigma = 0 every sample is a copy', stats && stats.copies === 16 && stats.tiles === 32,
          JSON.stringify(stats));
    // One class chosen: that class's files alone (some 1 MB compressed, a tenth of the whole set).
    check('mnist: the class of threes alone was fetched',
          firstRequests.sort().join(' ') === 'mnist-class-3-images.idx.gz mnist-class-3-labels.idx.gz' &&
          stats && stats.fetched_bytes > 0.5e6 && stats.fetched_bytes < 2e6,
          firstRequests.join(' ') + ' ' + JSON.stringify(stats));
    const firstSeconds = (Date.now() - firstVisit) / 1000;
    await page.screenshot({ path: path.join(shotDir, 'app-mnist.png') });
    check('mnist: no console errors', errors.length === 0, JSON.stringify(errors));
    await page.close();
    // A second visit takes the data from the browser's cache: no download, the same samples.
    const again = await context.newPage();
    const dataRequests = [];
    again.on('request', r => { if (r.url().includes('/data/')) dataRequests.push(r.url()); });
    const againErrors = watchErrors(again);
    const secondVisit = Date.now();
    await again.goto(mnistLink);
    const first = await waitForStats(again, s => s.step > 0, 60);
    const firstPicture = (Date.now() - secondVisit) / 1000;
    const cached = await waitForStats(again, finished, 120);
    const secondSeconds = (Date.now() - secondVisit) / 1000;
    check('mnist cached: the second visit downloads no data', dataRequests.length === 0, dataRequests.join(' '));
    check('mnist cached: the same run again', cached && finished(cached) && cached.copies === 16 && cached.error === '' &&
          first && first.step > 0, JSON.stringify(cached));
    check('mnist cached: no console errors', againErrors.length === 0, JSON.stringify(againErrors));
    console.log(`FIGURE mnist link (threaded build): done in ${firstSeconds.toFixed(2)} s on the first visit ` +
                `(its download held until the fetch showed), ` +
                `${secondSeconds.toFixed(2)} s with the data cached (first step shown after ${firstPicture.toFixed(2)} s)`);
    await context.close();
  }
}

// The status window (the caption, the legend, the copy meter) covers no training point's ring,
// once the finished run's caption is up and the window has taken its size (a few frames).
async function statusLeavesPointsClear(page, label) {
  await waitForStats(page, s => s.copy_share !== null, 30);
  await page.waitForTimeout(400);
  const s = (await waitForStats(page, () => true, 1)) || {};
  check(`${label}: the status window covers no training point`,
        Array.isArray(s.status_box) && Array.isArray(s.rings_box) && !overlap(s.status_box, s.rings_box),
        `status ${JSON.stringify(s.status_box)}, training points ${JSON.stringify(s.rings_box)}`);
}

// The story, on the threaded build: each of the seven presets (the links docs/embedding.md shows),
// screenshotted once done; the copy meter near 1 at sigma = 0 and far below it at sigma = 0.15,
// M = 4; and the sigma sweep's chart.
async function story(browser, port) {
  const url = `http://127.0.0.1:${port}/index.html`;
  const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'embedding.md'), 'utf8');
  const presets = [...doc.matchAll(/embed\.html\?(dataset=[^"]*&l=\d+[^"]*)"/g)].map(m => m[1].replace(/&ui=[a-z]+/, ''));
  check('story: the nine presets are found in docs/embedding.md', presets.length === 9, presets.join(' | '));
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.addInitScript(watchRowsFinishing);
  const errors = watchErrors(page);
  for (let i = 0; i < presets.length; i++) {
    await page.goto(`${url}?${presets[i]}`);
    const stats = await waitForStats(page, finished, 180);
    check(`story: preset ${i + 1} finishes`, stats && finished(stats) && stats.error === '', JSON.stringify(stats));
    if (!/dataset=(mnist|fashion)/.test(presets[i])) await statusLeavesPointsClear(page, `story: preset ${i + 1}`);
    await page.screenshot({ path: path.join(shotDir, `story-${i + 1}.png`) });
    if (presets[i].includes('models=')) {
      // The comparison view: the same noise through exact, sigma-CFDM and local, side by side. The
      // exact model copies every sample, the local model none; the run's time (what a visitor waits
      // for the first finished row of every model) is printed, a figure for the benchmark's reader.
      const data = presets[i].match(/dataset=([a-z-]+)/)[1];
      await page.screenshot({ path: path.join(shotDir, `compare-${data}.png`) });
      const groups = stats ? stats.groups : [];
      const byModel = Object.fromEntries(groups.map(g => [g.model, g]));
      check(`comparison on ${data}: three models side by side`, groups.length === 3 && stats.tiles === 3 * 2 * 8,
            JSON.stringify(stats));
      check(`comparison on ${data}: the exact model copies every sample, the local model none`,
            byModel.exact && byModel.exact.copies === byModel.exact.samples && byModel.local && byModel.local.copies === 0,
            JSON.stringify(groups));
      const order = await page.evaluate(() => window.rowsFinished);
      check(`comparison on ${data}: the rows finish cheapest first, exact and sigma-CFDM while local samples on`,
            cheapestFirst(order, stats.n_steps), order.join(', '));
      console.log(`FIGURE comparison on ${data} (threaded build): every model's samples finished in ${stats.seconds.toFixed(2)} s`);
    }
    if (i === 0)
      check('story: sigma = 0 (the first preset): the copy meter is near 1', stats && stats.copy_share > 0.85,
            JSON.stringify(stats));
    if (presets[i].startsWith('dataset=bunny')) {
      // The 3-D view: a drag on the canvas turns the bunny (the address then carries the angle).
      await page.mouse.move(900, 420);
      await page.mouse.down();
      await page.mouse.move(1000, 470, { steps: 10 });
      await page.mouse.up();
      await page.waitForTimeout(1200);  // the address follows the settings, throttled
      check('story: a drag turns the 3-D view (orbit= in the address)', /[?&]orbit=/.test(page.url()), page.url());
      await page.screenshot({ path: path.join(shotDir, 'app-bunny.png') });
    }
  }
  // The longest caption (the first preset's, once done) on a 720-pixel-high laptop screen, where
  // it does not fit below the controls at the usual width: wrapped wider there, not over the points.
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto(`${url}?${presets[0]}&speed=max`);
  await waitForStats(page, finished, 120);
  await statusLeavesPointsClear(page, 'story: preset 1 at 1280 x 720');
  await page.screenshot({ path: path.join(shotDir, 'story-1-720.png') });
  await page.setViewportSize({ width: 1280, height: 800 });
  // Attribution at t = 1: a finished sample of the barycenter preset traced to its training points.
  await page.goto(`${url}?${presets[1]}&speed=max`);
  const unselected = await waitForStats(page, finished, 120);
  // The first sample (of the first 40) that is an average of two or more training points: a line
  // and a ring for each (4 marks or more) beside its highlight (3 marks).
  let traced = null;
  for (let i = 0; i < 40; i++) {
    await page.evaluate(k => window.cfdm.select(k), i);
    await page.waitForTimeout(120);
    traced = await waitForStats(page, () => true, 1);
    if (unselected && traced && traced.marks >= unselected.marks + 7) break;
  }
  await page.screenshot({ path: path.join(shotDir, 'app-attribution.png') });
  check('story: an inspected finished sample that averages training points draws them (lines, rings, its highlight)',
        unselected && traced && traced.marks >= unselected.marks + 7, `${unselected && unselected.marks} -> ${traced && traced.marks}`);
  await page.goto(`${url}?dataset=moons&n_train=100&n_samples=2000&steps=100&sigma=0.15&draws=4&speed=max`);
  let stats = await waitForStats(page, finished, 120);
  check('story: sigma = 0.15, M = 4: the copy meter is far below 1', stats && stats.copy_share !== null &&
        stats.copy_share < 0.2, JSON.stringify(stats));
  await page.evaluate(() => window.cfdm.sweep());
  stats = await waitForStats(page, s => s.sweep_runs === 9 && !s.sweeping && finished(s), 300);
  check('story: the sigma sweep measures nine runs', stats && stats.sweep_runs === 9 && !stats.sweeping,
        JSON.stringify(stats));
  await page.waitForTimeout(300);
  await page.screenshot({ path: path.join(shotDir, 'app-sweep.png') });
  stats = await page.evaluate(() => window.cfdm.stats());
  check('story: the sweep\'s chart covers none of the training points (they move above it)',
        stats && Array.isArray(stats.sweep_box) && Array.isArray(stats.rings_box) && !overlap(stats.sweep_box, stats.rings_box),
        `chart ${JSON.stringify(stats && stats.sweep_box)}, training points ${JSON.stringify(stats && stats.rings_box)}`);
  // A drawn dataset, as a shared link carries it: a ring of 12 points and a dot in the middle.
  const drawn = [...Array(12).keys()].map(i => `${(2 * Math.cos(i * Math.PI / 6)).toFixed(3)},` +
                                             `${(2 * Math.sin(i * Math.PI / 6)).toFixed(3)}`).concat(['0,0']).join(';');
  await page.goto(`${url}?dataset=drawn&points=${encodeURIComponent(drawn)}&sigma=0.3&draws=2&speed=max`);
  stats = await waitForStats(page, finished, 120);
  check('story: a drawn dataset from a link samples its 13 points', stats && finished(stats) && stats.error === '' &&
        stats.copy_share !== null, JSON.stringify(stats));
  await page.screenshot({ path: path.join(shotDir, 'app-drawn.png') });
  check('story: no console errors', errors.length === 0, JSON.stringify(errors));
  await page.close();
}

// In the page (an init script): the comparison's models in the order their rows finished, as the
// page's stats tell it at every animation frame, each with the step all models had taken then
// (window.rowsFinished: "exact@0", ...; lockstep would give "@20" to every one).
function watchRowsFinishing() {
  window.rowsFinished = [];
  const tick = () => {
    const s = window.cfdm && window.cfdm.stats && window.cfdm.stats();
    if (s)
      for (const g of s.groups)
        if (g.done && !window.rowsFinished.some(r => r.startsWith(g.model + '@'))) window.rowsFinished.push(`${g.model}@${s.step}`);
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

// The rows finished cheapest first: exact and sigma-CFDM while the local model was still short
// of its last step, then the local model.
function cheapestFirst(order, nSteps) {
  const models = order.map(r => r.split('@')[0]), steps = order.map(r => Number(r.split('@')[1]));
  return models.join(',') === 'exact,scfdm,local' && steps[0] < nSteps && steps[1] < nSteps;
}

// The comparison preset on the single-thread build: one model's step a frame, so the page keeps
// painting (the longest gap between two frames is printed, not checked: timings are the
// benchmark's), and the same copies as threaded.
async function comparisonOnOneThread(browser, port) {
  const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'embedding.md'), 'utf8');
  const link = [...doc.matchAll(/embed\.html\?(dataset=mnist[^"]*models=[^"]*)"/g)].map(m => m[1].replace(/&ui=[a-z]+/, ''))[0];
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.addInitScript(watchRowsFinishing);
  // The longest frame of each phase, watched from the page's first script: the app starting (the
  // page, the wasm compiled, the runtime, its first frame: GL context, shaders, UI), until the app
  // marks its first frame drawn; from then to its first step (the data fetched, read a part a frame
  // and prepared in pieces); sampling.
  await page.addInitScript(() => {
    window.longestFrame = { start: 0, data: 0, sampling: 0 };
    let last = performance.now(), phase = 'start';
    const tick = now => {
      window.longestFrame[phase] = Math.max(window.longestFrame[phase], now - last);
      last = now;
      const s = window.cfdm && window.cfdm.stats && window.cfdm.stats();
      if (phase === 'start' && performance.getEntriesByName('cfdm-first-frame').length > 0) phase = 'data';
      if (s && (s.step > 0 || s.groups.some(g => g.step > 0)) && !s.loading) phase = 'sampling';
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
  await page.goto(`http://127.0.0.1:${port}/index.html?${link}&speed=max`);
  const stats = await waitForStats(page, finished, 180);
  const longest = await page.evaluate(() => window.longestFrame);
  await page.screenshot({ path: path.join(shotDir, 'compare-mnist-single.png') });
  const groups = stats ? stats.groups : [];
  check('comparison on one thread: it finishes, exact copies all, local none', stats && stats.error === '' &&
        groups.length === 3 && groups[0].copies === 8 && groups[2].copies === 0, JSON.stringify(stats));
  const order = await page.evaluate(() => window.rowsFinished);
  check('comparison on one thread: the rows finish cheapest first, exact and sigma-CFDM while local samples on',
        stats && cheapestFirst(order, stats.n_steps), order.join(', '));
  console.log(`FIGURE comparison on one thread: done in ${stats ? stats.seconds.toFixed(2) : '?'} s, longest frame ` +
              `${longest.sampling.toFixed(0)} ms while sampling, ${longest.data.toFixed(0)} ms from the app's first frame to ` +
              `its first step (the data fetched, read and prepared), ${longest.start.toFixed(0)} ms while the app starts`);
  await page.close();
}

// A host without the image data: choosing MNIST says the download failed; the app goes on.
async function missingData(browser, port) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cfdm-nodata-'));
  for (const f of ['index.html', 'loader.js', 'serve.py', 'threads', 'single']) fs.symlinkSync(path.resolve(webDir, f), path.join(dir, f));
  const server = await serve(port, ['--dir', dir]);
  try {
    const page = await browser.newPage({ viewport: { width: 900, height: 600 } });
    await page.goto(`http://127.0.0.1:${port}/index.html?dataset=mnist`);
    const stats = await waitForStats(page, s => s.error !== '', 30);
    check('missing image data: the failed download is named', stats && stats.error.includes('could not fetch mnist')
          && stats.error.includes('404'), JSON.stringify(stats));
    // The controls go back to the data from before (the page's first, moons), and it runs again to
    // its end beside the message: not a blank canvas.
    const back = await waitForStats(page, s => s.dataset === 'moons' && finished(s) && s.n_steps > 0, 60);
    check('missing image data: the data from before runs again, the message kept',
          back && back.error.includes('could not fetch mnist') && back.samples_done > 0, JSON.stringify(back));
    await nextFrames(page);
    const shown = await page.screenshot({ path: path.join(shotDir, 'app-missing-data.png') });
    const moving = await countColour(page, shown, ORANGE);
    check('missing image data: the samples from before are drawn', moving > 100, `${moving} sample-coloured pixels`);
    await page.evaluate(() => window.cfdm.set('dataset=moons&n_samples=300&steps=20'));
    const after = await waitForStats(page, s => s.dataset === 'moons' && s.step === 20, 30);
    check('missing image data: another dataset still runs', after && after.step === 20 && after.error === '',
          JSON.stringify(after));
    await page.close();
  } finally {
    server.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// A browser that refuses to reserve the threaded build's 2 GB of shared memory (as iOS Safari
// does: "RangeError: Out of memory"), simulated by refusing shared memories above a size: with
// 512 MB allowed the threaded build runs in a capped memory; with none, the single-thread build
// runs and the page says why.
async function refusedMemory(browser, port) {
  const url = `http://127.0.0.1:${port}/index.html?n_samples=300&steps=20`;
  for (const [maxPages, build, label] of [[8192, 'wasm threads + simd', 'capped'], [0, 'wasm single-thread simd', 'refused']]) {
    const context = await browser.newContext({ viewport: { width: 900, height: 600 } });
    await context.addInitScript(limit => {
      const Original = WebAssembly.Memory;
      const Refusing = function (descriptor) {
        if (descriptor && descriptor.shared && !(descriptor.maximum <= limit)) throw new RangeError('Out of memory');
        return new Original(descriptor);
      };
      Refusing.prototype = Original.prototype;
      WebAssembly.Memory = Refusing;
    }, maxPages);
    const page = await context.newPage();
    const errors = watchErrors(page);
    await page.goto(url);
    const stats = await waitForStats(page, finished, 60);
    const loader = await page.evaluate(() => ({ build: cfdmLoader.build, cap: cfdmLoader.memoryCap, fallback: cfdmLoader.fallback,
                                               status: document.getElementById('status').textContent }));
    check(`memory ${label}: the app runs on the ${build} build`, stats && finished(stats) && stats.build === build &&
          stats.error === '', JSON.stringify(stats));
    if (label === 'capped')
      check('memory capped: the threaded build got 512 MB', loader.build === 'threads' && loader.cap === 512 * 1024 * 1024 &&
            loader.fallback === '', JSON.stringify(loader));
    else
      check('memory refused: the page says why the light version runs', loader.build === 'single' &&
            loader.status.includes('refused the threaded version') && loader.status.includes('Out of memory'),
            JSON.stringify(loader));
    check(`memory ${label}: no console errors`, errors.length === 0, JSON.stringify(errors));
    await context.close();
  }
}

// The app's code served badly: with a wrong content type the page compiles it from its bytes and
// runs; when it cannot be had at all, the page says so instead of "loading..." forever.
async function unservedCode(browser, port) {
  const url = `http://127.0.0.1:${port}/index.html?n_samples=300&steps=20`;
  for (const label of ['wrong type', 'missing']) {
    const context = await browser.newContext({ viewport: { width: 900, height: 600 } });
    await context.route('**/cfdm_app.wasm', async route => {
      if (label === 'missing') return route.fulfill({ status: 404, contentType: 'text/plain', body: 'not found' });
      const response = await route.fetch();
      return route.fulfill({ response, headers: { ...response.headers(), 'content-type': 'text/plain' } });
    });
    const page = await context.newPage();
    await page.goto(url);
    if (label === 'wrong type') {
      const stats = await waitForStats(page, finished, 60);
      check('code served as text/plain: compiled from its bytes, the app runs', stats && finished(stats) &&
            stats.error === '', JSON.stringify(stats));
    } else {
      const status = await page.waitForFunction(() => {
        const text = document.getElementById('status').textContent;
        return text.includes('could not start') && text;
      }, null, { timeout: 30000 }).then(h => h.jsonValue()).catch(() => null);
      check('code missing: the page says the app could not start and why', status !== null && status.includes('HTTP 404'),
            String(status));
    }
    await context.close();
  }
}

async function main() {
  const browser = await launch(playwrightDir);
  try {
    await scenario(browser, 'threads', [], { isolated: true, build: 'wasm threads + simd', minThreads: 2,
                                             more: async (b, port) => {
                                               await moreOnThreads(b, port);
                                               await refusedMemory(b, port);
                                               await unservedCode(b, port);
                                               await story(b, port);
                                             } });
    await scenario(browser, 'single', ['--no-isolation'], { isolated: false, build: 'wasm single-thread simd', minThreads: 1,
                                                            more: comparisonOnOneThread });
    await missingData(browser, 18900 + (process.pid % 1000));
  } finally {
    await browser.close();
  }
  finish();
}

main().catch(e => { console.log(`FAIL ${e.stack}`); process.exit(1); });
