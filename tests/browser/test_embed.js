// Browser tests of embedding, in headless Chromium (Debian's chromium, npm playwright-core).
//
// usage: node test_embed.js WEB_DIR SCREENSHOT_DIR PLAYWRIGHT_CORE_DIR NATIVE_CFDM [DEPLOY_SCRIPT]
//
// - A host page on one origin (port) embeds the app from another in an iframe: the embed runs the
//   single-thread build (a blog page is not cross-origin isolated) and streams samples; the host
//   drives it with postMessage (set, stats, state) and hears 'cfdm:ready' and 'cfdm:done'.
// - The embed shows a poster and loads nothing heavy until it scrolls into view.
// - The initial download of the toy default, gzip-compressed as a static host would serve it, is
//   at most 2 MB (printed).
// - Exports: samples .npy equal the native CLI's samples for the same settings; trajectories .npy
//   end on them; the picture and the canvas are PNGs.
// - A 390-pixel-wide phone viewport: touch taps on the compact controls pause and play; where
//   memory is tight the single-thread build is chosen.
// - The static deploy (scripts/deploy.sh --service-worker) served by a host that sends no headers:
//   the service worker makes the full app cross-origin isolated and it runs the threaded build.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const zlib = require('zlib');
const { execFileSync } = require('child_process');
const { launch, serve, waitForStats, finished, nextFrames, watchErrors, check, finish, overlap } = require('./common.js');

const [webDir, shotDir, playwrightDir, nativeCli, deployScript] = process.argv.slice(2);
// A float32 .npy file: {shape, data}.
function readNpy(buffer) {
  const headerLength = buffer.readUInt16LE(8);
  const header = buffer.slice(10, 10 + headerLength).toString('latin1');
  const shape = header.match(/'shape': \(([^)]*)\)/)[1].split(',').filter(s => s.trim()).map(Number);
  if (!header.includes("'descr': '<f4'")) throw new Error(`not float32: ${header}`);
  const start = 10 + headerLength;
  const data = new Float32Array(buffer.buffer.slice(buffer.byteOffset + start, buffer.byteOffset + buffer.length));
  return { shape, data };
}

async function waitForEvent(page, type, after = 0, seconds = 90) {
  for (let i = 0; i < seconds * 10; i++) {
    const events = await page.evaluate(() => window.cfdmEvents || []);
    const found = events.slice(after).find(e => e.type === type);
    if (found) return { event: found, count: events.length };
    await page.waitForTimeout(100);
  }
  return { event: null, count: after };
}

async function crossOriginEmbed(browser, hostPort, appPort) {
  const page = await browser.newPage({ viewport: { width: 900, height: 800 } });
  const errors = watchErrors(page);
  await page.goto(`http://127.0.0.1:${hostPort}/host-example.html?app=http://127.0.0.1:${appPort}/embed.html`);
  const ready = await waitForEvent(page, 'cfdm:ready');
  const frame = page.frames().find(f => f !== page.mainFrame() && f.url().startsWith(`http://127.0.0.1:${appPort}/embed.html`));
  check('embed: the iframe comes from another origin', frame && new URL(frame.url()).origin !== new URL(page.url()).origin,
        frame ? frame.url() : 'no frame');
  check('embed: ready, on the single-thread build', ready.event && ready.event.build === 'single', JSON.stringify(ready.event));
  const done = await waitForEvent(page, 'cfdm:done');
  check('embed: samples stream to the last step', done.event && done.event.stats.step === 60 && done.event.stats.n_samples === 1500
        && done.event.stats.build === 'wasm single-thread simd', JSON.stringify(done.event && done.event.stats));
  await page.screenshot({ path: path.join(shotDir, 'embed-cross-origin.png') });
  // The host changes sigma; a new run finishes; the state says so.
  await page.evaluate(o => document.getElementById('demo').contentWindow.postMessage(
    { type: 'cfdm:set', params: { sigma: 0.05, draws: 2 } }, o), `http://127.0.0.1:${appPort}`);
  const second = await waitForEvent(page, 'cfdm:done', done.count);
  check('embed: a set message starts a new run that finishes', second.event !== null, 'no second cfdm:done');
  await page.evaluate(o => document.getElementById('demo').contentWindow.postMessage({ type: 'cfdm:state', id: 7 }, o),
                      `http://127.0.0.1:${appPort}`);
  const state = await waitForEvent(page, 'cfdm:state', second.count);
  check('embed: the state reply carries the new settings and a link to the full app',
        state.event && state.event.id === 7 && state.event.query.includes('sigma=0.05') && state.event.query.includes('draws=2')
        && state.event.link.startsWith(`http://127.0.0.1:${appPort}/index.html?`), JSON.stringify(state.event));
  await page.evaluate(o => document.getElementById('demo').contentWindow.postMessage({ type: 'cfdm:stats', id: 8 }, o),
                      `http://127.0.0.1:${appPort}`);
  const stats = await waitForEvent(page, 'cfdm:stats', state.count);
  check('embed: a stats request is answered', stats.event && stats.event.id === 8 && stats.event.stats.n_samples === 1500,
        JSON.stringify(stats.event));
  const link = await frame.evaluate(() => document.getElementById('fast').href);
  check('embed: without threads it links to the full-speed app', link.startsWith(`http://127.0.0.1:${appPort}/index.html?`)
        && link.includes('sigma=0.05') && !link.includes('ui='), link);
  await page.screenshot({ path: path.join(shotDir, 'embed-host-example.png') });
  check('embed: no console errors', errors.length === 0, JSON.stringify(errors));
  await page.close();
}

// The host page's inputs as an attacker would send them (docs/robustness.md, "The embed's message
// API"): an over-long setting, a setting whose preparation would freeze the single-thread embed,
// bad values, a javascript: address for host-example.html, and a hostile frame on a third origin.
async function hostileInputs(browser, hostPort, appPort) {
  const appOrigin = `http://127.0.0.1:${appPort}`;
  const page = await browser.newPage({ viewport: { width: 900, height: 800 } });
  const errors = watchErrors(page);
  let dialogs = 0;
  page.on('dialog', d => { dialogs++; d.dismiss().catch(() => {}); });
  await page.goto(`http://127.0.0.1:${hostPort}/host-example.html?app=${appOrigin}/embed.html`);
  const ready = await waitForEvent(page, 'cfdm:ready');
  const done = await waitForEvent(page, 'cfdm:done', ready.count);
  const send = message => page.evaluate(([m, o]) => document.getElementById('demo').contentWindow.postMessage(m, o),
                                        [message, appOrigin]);
  const frame = page.frames().find(f => f.url().startsWith(`${appOrigin}/embed.html`));
  const appStats = () => frame.evaluate(() => window.cfdm.stats());
  const before = await appStats();

  // 1. Three million characters of settings: refused with an error event; the run and the API go on.
  await send({ type: 'cfdm:set', params: 'x=' + 'z'.repeat(3e6) });
  const long = await waitForEvent(page, 'cfdm:error', done.count, 20);
  check('hostile: an over-long cfdm:set gets a cfdm:error naming the limit',
        long.event && /at most 16384/.test(long.event.message), JSON.stringify(long.event).slice(0, 300));
  let stats = await appStats();
  check('hostile: after it the app answers, keeps its run and shows the message',
        stats && stats.n_samples === before.n_samples && /at most 16384/.test(stats.error), JSON.stringify(stats).slice(0, 400));
  await send({ type: 'cfdm:set', params: { draws: 3 } });
  const after = await waitForEvent(page, 'cfdm:done', long.count);
  check('hostile: a good cfdm:set after it still starts a run', after.event && after.event.stats.n_samples === 1500,
        JSON.stringify(after.event && after.event.stats));

  // 5. Bad values: each named in a cfdm:error and in stats().warnings; nothing changes.
  await send({ type: 'cfdm:set', params: { sigma: -5, steps: 0 }, id: 41 });
  const bad = await waitForEvent(page, 'cfdm:error', after.count, 20);
  check(
      'hostile: sigma = -5 and steps = 0 are refused by name in a cfdm:error, with what they take',
      bad.event && bad.event.id === 41 && bad.event.message.includes('sigma=-5') &&
          bad.event.message.includes('steps=0') && bad.event.message.includes('a whole number from 1 to 100000'),
      JSON.stringify(bad.event));
  stats = await appStats();
  check('hostile: stats().warnings names them too', stats && stats.warnings.includes('sigma=-5'), JSON.stringify(stats));
  await page.screenshot({ path: path.join(shotDir, 'embed-refused-settings.png') });

  // 2. Ten million training points to the single-thread embed: refused at once, saying what the
  // full-speed page allows; the host page stays responsive (frame gaps measured, printed).
  await page.evaluate(() => {
    window.frameGaps = [];
    let last = performance.now();
    const tick = now => { window.frameGaps.push(now - last); last = now; if (window.frameGaps.length < 400) requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
  });
  const sent = Date.now();
  await send({ type: 'cfdm:set', params: { n_train: 10000000 } });
  const big = await waitForEvent(page, 'cfdm:error', bad.count, 30);
  const waited = (Date.now() - sent) / 1000;
  check('hostile: 10 million training points are refused by the single-thread embed, naming the full-speed page',
        big.event && /full-speed/.test(big.event.message), JSON.stringify(big.event));
  await send({ type: 'cfdm:stats', id: 42 });
  const answer = await waitForEvent(page, 'cfdm:stats', big.count, 30);
  await page.waitForTimeout(1500);
  const gaps = await page.evaluate(() => window.frameGaps);
  console.log(`single-thread embed, n_train = 10,000,000 sent: refused after ${waited.toFixed(2)} s; ` +
              `host page's longest frame in the next ${gaps.length} frames ${Math.max(...gaps).toFixed(0)} ms`);
  check('hostile: after it the embed answers at once and keeps its run',
        answer.event && answer.event.id === 42 && answer.event.stats.n_samples === 1500, JSON.stringify(answer.event));

  // 4. A frame of a third origin beside the embed: its messages are ignored and never answered.
  await page.evaluate(() => {
    const f = document.createElement('iframe');
    f.id = 'stranger';
    f.src = 'data:text/html,<script>window.heard = [];' +
            'addEventListener("message", e => window.heard.push(e.data));' +
            'parent.frames[0].postMessage({type: "cfdm:set", params: {sigma: 0.9, draws: 7}}, "*");' +
            'parent.frames[0].postMessage({type: "cfdm:stats", id: 99}, "*");</script>';
    document.body.appendChild(f);
  });
  await page.waitForTimeout(2000);
  const stranger = page.frames().find(f => f.url().startsWith('data:'));
  const heard = stranger ? await stranger.evaluate(() => window.heard) : null;
  stats = await appStats();
  const state = await frame.evaluate(() => window.cfdm.state());
  check('hostile: a third-origin frame can neither set the embed nor read its state',
        stranger && heard.length === 0 && !state.includes('draws=7') && !state.includes('sigma=0.9'),
        `heard ${JSON.stringify(heard)}, state ${state}`);
  await page.close();

  // An allow-list of host origins: a host not on it is ignored; one on it is obeyed.
  for (const [hosts, obeyed] of [[`http://127.0.0.1:${appPort + 7}`, false], [`http://127.0.0.1:${hostPort}`, true]]) {
    const listed = await browser.newPage({ viewport: { width: 700, height: 600 } });
    await listed.goto(`http://127.0.0.1:${hostPort}/host-example.html?app=` +
                      encodeURIComponent(`${appOrigin}/embed.html?hosts=${hosts}`));
    const frameReady = async () => {
      for (let i = 0; i < 600; i++) {
        const f = listed.frames().find(x => x.url().startsWith(`${appOrigin}/embed.html`));
        if (f && await f.evaluate(() => !!(window.cfdm && window.cfdm.stats())).catch(() => false)) return f;
        await listed.waitForTimeout(100);
      }
      return null;
    };
    const embed = await frameReady();
    await listed.evaluate(o => document.getElementById('demo').contentWindow.postMessage({ type: 'cfdm:stats', id: 5 }, o),
                          appOrigin);
    const reply = await waitForEvent(listed, 'cfdm:stats', 0, 5);
    check(`hostile: with hosts=${hosts} the host page is ${obeyed ? 'obeyed' : 'ignored'}`,
          embed && (reply.event !== null) === obeyed, JSON.stringify(reply.event));
    await listed.close();
  }

  // A link with many bad keys: the host's cfdm:error carries the app's whole message (up to
  // 1,000 bytes: the first keys with what each takes, then how many more), not a cut one.
  {
    // (keys host-example.html does not set itself)
    const keys = ['models=cfdm,not-a-model', 'speed=-', 'trails=-', 'points=-', 'autoplay=x', 'flavour='];
    const bad = Array.from({ length: 12 }, (_, i) => `${keys[i % keys.length]}${i}`).join('&');
    const host = await browser.newPage({ viewport: { width: 700, height: 600 } });
    await host.goto(`http://127.0.0.1:${hostPort}/host-example.html?app=` +
                    encodeURIComponent(`${appOrigin}/embed.html?steps=20&${bad}`));
    const said = await waitForEvent(host, 'cfdm:error', 0, 60);
    const message = said.event ? said.event.message : '';
    check('hostile: a link with many bad keys reaches the host as one whole cfdm:error (named keys, then "and N more")',
          message.length > 300 && /; and \d+ more$/.test(message) && message.includes('not-a-model0'),
          `${message.length} bytes: ${message}`);
    await host.close();
  }

  // 5. A link's bad keys: named in stats().warnings and shown, wrapped, in a narrow compact embed.
  const narrow = await browser.newPage({ viewport: { width: 320, height: 400 } });
  await narrow.goto(`${appOrigin}/embed.html?n_samples=200&steps=20&sigma=-1&steps=abc&colour=red`);
  const warned = await waitForStats(narrow, s => s.step > 0, 60);
  check('hostile: a link\'s bad keys are each named in stats().warnings',
        warned && ['sigma=-1', 'steps=abc', 'colour=red'].every(k => warned.warnings.includes(k)), JSON.stringify(warned));
  await narrow.screenshot({ path: path.join(shotDir, 'embed-link-warnings-320px.png') });
  await narrow.close();

  // 3. host-example.html?app=javascript:...: refused, no script runs, the embed beside it is used.
  const injected = await browser.newPage();
  injected.on('dialog', d => { dialogs++; d.dismiss().catch(() => {}); });
  await injected.goto(`http://127.0.0.1:${hostPort}/host-example.html?app=javascript:alert(document.domain)//`);
  await injected.waitForTimeout(1500);
  const src = await injected.evaluate(() => document.getElementById('demo').src);
  const log = await injected.evaluate(() => document.getElementById('log').textContent);
  check('hostile: host-example.html refuses a javascript: address and runs no script',
        dialogs === 0 && src.startsWith(`http://127.0.0.1:${hostPort}/embed.html?`) && log.includes('http(s)'),
        `dialogs ${dialogs}, src ${src}, log ${log}`);
  await injected.close();
  check('hostile: no console errors', errors.length === 0, JSON.stringify(errors));
}

// The full app's own page API: an over-long cfdm.set() returns the refusal; the app goes on.
async function longSetOnTheFullApp(browser, appPort) {
  const page = await browser.newPage({ viewport: { width: 1000, height: 700 } });
  const errors = watchErrors(page);
  await page.goto(`http://127.0.0.1:${appPort}/index.html?n_samples=300&steps=20`);
  await waitForStats(page, finished);
  const refused = await page.evaluate(() => window.cfdm.set('x=' + 'c'.repeat(3e6)));
  const stats = await waitForStats(page, () => true, 2);
  const typed = await page.evaluate(() => window.cfdm.set({ sigma: { evil: true } }));
  await page.evaluate(() => window.cfdm.set({ n_samples: 200 }));
  const again = await waitForStats(page, s => finished(s) && s.n_samples === 200, 60);
  check('full app: an over-long cfdm.set() is refused with a message and the app goes on',
        /at most 16384/.test(refused) && /at most 16384/.test(stats.error) && again && again.n_samples === 200,
        `${refused} / ${JSON.stringify(stats)}`);
  check('full app: a setting that is neither a string nor a number is refused by name', /the value of "sigma" is an object/.test(typed), typed);
  check('full app: no console errors', errors.length === 0, JSON.stringify(errors));
  await page.close();
}

async function posterAndSize(browser, appPort) {
  const page = await browser.newPage({ viewport: { width: 800, height: 600 } });
  const errors = watchErrors(page);
  const bodies = [];
  page.on('response', async r => {
    try { bodies.push({ url: r.url(), body: await r.body(), at: Date.now() }); } catch (e) { /* redirects */ }
  });
  // The iframe far below the fold: only the poster may load.
  // A second embed, of MNIST, further down: its poster shows digits.
  await page.setContent(`<div style="height: 3000px">article text</div>
    <iframe id="f" src="http://127.0.0.1:${appPort}/embed.html" width="640" height="400"></iframe>
    <div style="height: 3000px">more text</div>
    <iframe id="g" src="http://127.0.0.1:${appPort}/embed.html?dataset=mnist" width="640" height="400"></iframe>`);
  await page.waitForTimeout(2500);
  const early = bodies.filter(b => /cfdm_app\.(js|wasm)/.test(b.url));
  check('poster: nothing heavy loads before the embed is visible', early.length === 0, early.map(b => b.url).join(', '));
  check('poster: the poster image is shown', bodies.some(b => b.url.endsWith('/poster.png')), 'no poster.png');
  check('poster: an MNIST embed shows the MNIST poster', bodies.some(b => b.url.endsWith('/poster-mnist.png')),
        bodies.map(b => path.basename(new URL(b.url).pathname)).join(', '));
  await page.evaluate(() => document.getElementById('f').scrollIntoView());
  const frame = () => page.frames().find(f => f !== page.mainFrame() && f.url().includes('/embed.html') &&
                                              !f.url().includes('dataset=mnist'));
  let stats = null;
  for (let i = 0; i < 600 && !(stats && stats.step > 0); i++) {
    stats = await frame().evaluate(() => window.cfdm && window.cfdm.stats()).catch(() => null);
    await page.waitForTimeout(100);
  }
  check('poster: scrolled into view, it loads and samples', stats && stats.step > 0, JSON.stringify(stats));
  const firstSample = Date.now();
  const initial = bodies.filter(b => b.at <= firstSample && b.url.includes(`:${appPort}/`));
  const gz = initial.reduce((n, b) => n + zlib.gzipSync(b.body, { level: 9 }).length, 0);
  const raw = initial.reduce((n, b) => n + b.body.length, 0);
  console.log(`initial download of the embed (toy default, up to the first sample): ${initial.length} files, ` +
              `${(raw / 1e6).toFixed(2)} MB, ${(gz / 1e6).toFixed(2)} MB gzip-compressed: ` +
              initial.map(b => path.basename(new URL(b.url).pathname)).join(', '));
  check('size: the initial download is at most 2 MB compressed', gz <= 2e6, `${gz} bytes`);
  check('poster: no console errors', errors.length === 0, JSON.stringify(errors));
  await page.close();
}

async function exports(browser, appPort) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 750 }, acceptDownloads: true });
  const page = await context.newPage();
  const errors = watchErrors(page);
  const query = 'dataset=circles&n_train=400&n_samples=300&steps=40&sigma=0.05&draws=3&seed=5';
  await page.goto(`http://127.0.0.1:${appPort}/index.html?${query}`);
  await waitForStats(page, finished);
  const download = async kind => {
    const [d] = await Promise.all([page.waitForEvent('download'), page.evaluate(k => window.cfdm.exportFile(k), kind)]);
    const file = path.join(os.tmpdir(), `cfdm-test-${process.pid}-${d.suggestedFilename()}`);
    await d.saveAs(file);
    const body = fs.readFileSync(file);
    fs.unlinkSync(file);
    return { name: d.suggestedFilename(), body };
  };
  const samples = readNpy((await download('samples.npy')).body);
  const cliOut = path.join(os.tmpdir(), `cfdm-test-${process.pid}-cli.npy`);
  execFileSync(nativeCli, ['sample', '--data', 'circles', '--n-train', '400', '--n-samples', '300', '--steps', '40',
                           '--sigma', '0.05', '--draws', '3', '--seed', '5', '--out', cliOut], { stdio: 'ignore' });
  const cli = readNpy(fs.readFileSync(cliOut));
  fs.unlinkSync(cliOut);
  let worst = 0;
  for (let i = 0; i < cli.data.length; i++) worst = Math.max(worst, Math.abs(cli.data[i] - samples.data[i]));
  check('export: samples.npy holds the native CLI\'s samples for the same link',
        samples.shape.join() === '300,2' && cli.data.length === samples.data.length && worst < 1e-5,
        `shape ${samples.shape}, largest difference ${worst}`);
  const traj = readNpy((await download('trajectories.npy')).body);
  const lastStep = traj.data.slice((traj.shape[0] - 1) * 600);
  check('export: trajectories.npy is steps x samples x 2 and ends on the samples',
        traj.shape.join() === '41,300,2' && lastStep.every((v, i) => v === samples.data[i]), `shape ${traj.shape}`);
  const csv = (await download('samples.csv')).body.toString().trim().split('\n');
  check('export: samples.csv names its columns, then has a row per sample',
        csv.length === 301 && csv[0] === 'x1,x2' && csv[1].split(',').length === 2, csv.slice(0, 2).join(' / '));
  const png = await download('picture.png');
  check('export: the plot is a PNG', png.body.slice(1, 4).toString() === 'PNG', png.name);
  const canvas = await download('canvas.png');
  check('export: the canvas is a PNG', canvas.body.slice(1, 4).toString() === 'PNG' && canvas.body.length > 5000,
        `${canvas.name}, ${canvas.body.length} bytes`);
  check('links: the address reproduces the settings', page.url().includes('sigma=0.05') && page.url().includes('seed=5'),
        page.url());
  // "Copy link" (in the controls' button row), then the link in a fresh page: the same samples, bit for bit.
  // Dear ImGui lays the controls out the same way every time (window at 10, 10; default font; 1 CSS
  // pixel a pixel): the button row Pause | Step | Reset | Copy link | Replay is at y = 322 (below the model picker).
  await page.mouse.click(200, 322);
  await page.waitForTimeout(300);
  await nextFrames(page);
  const link = await page.evaluate(() => window.cfdmLastLink);
  check('links: Copy link gives the full app\'s address with the settings', link && link.includes('index.html?')
        && link.includes('seed=5') && link.includes('draws=3'), String(link));
  if (link) {
    const again = await context.newPage();
    await again.goto(link);
    await waitForStats(again, finished);
    const [d] = await Promise.all([again.waitForEvent('download'), again.evaluate(() => window.cfdm.exportFile('samples.npy'))]);
    const file = path.join(os.tmpdir(), `cfdm-test-${process.pid}-again.npy`);
    await d.saveAs(file);
    const reproduced = readNpy(fs.readFileSync(file));
    fs.unlinkSync(file);
    check('links: the copied link reproduces the samples bit for bit',
          reproduced.data.length === samples.data.length && reproduced.data.every((v, i) => Object.is(v, samples.data[i])),
          `shape ${reproduced.shape}`);
    await again.close();
  }
  check('export: no console errors', errors.length === 0, JSON.stringify(errors));
  await context.close();
}

async function phone(browser, appPort) {
  // A phone: 390 CSS pixels wide, touch, 3 device pixels per CSS pixel; memory reported tight.
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true,
                                             hasTouch: true });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.addInitScript(() => Object.defineProperty(navigator, 'deviceMemory', { get: () => 1 }));
  await page.goto(`http://127.0.0.1:${appPort}/embed.html?n_samples=800&steps=400&autoplay=1`);
  let stats = await waitForStats(page, s => s.step > 0, 60);
  check('phone: where memory is tight the single-thread build runs', stats && stats.build === 'wasm single-thread simd'
        && await page.evaluate(() => self.crossOriginIsolated), JSON.stringify(stats));
  // The compact controls' first button (Pause) sits at the top left.
  await page.touchscreen.tap(24, 16);
  stats = await waitForStats(page, s => s.paused, 10);
  check('phone: a tap on Pause pauses', stats && stats.paused, JSON.stringify(stats));
  const pausedAt = stats && stats.step;
  await page.waitForTimeout(500);
  stats = await waitForStats(page, () => true, 5);
  check('phone: paused, it stays put', stats && stats.step === pausedAt, `${pausedAt} -> ${stats && stats.step}`);
  await page.touchscreen.tap(24, 16);
  stats = await waitForStats(page, s => !s.paused && s.step > pausedAt, 20);
  check('phone: a tap on Play goes on', stats && !stats.paused && stats.step > pausedAt, JSON.stringify(stats));
  await page.screenshot({ path: path.join(shotDir, 'embed-phone.png') });
  const size = await page.evaluate(() => [document.getElementById('canvas').width, innerWidth, devicePixelRatio]);
  check('phone: the canvas is sharp at 3x', size[0] === size[1] * size[2], JSON.stringify(size));
  check('phone: no console errors', errors.length === 0, JSON.stringify(errors));
  await context.close();
}

async function staticDeploy(browser, port) {
  const dist = fs.mkdtempSync(path.join(os.tmpdir(), 'cfdm-dist-'));
  try {
    execFileSync('bash', [deployScript, '--service-worker', dist], { stdio: 'ignore' });
    const server = await serve(webDir, port, ['--no-isolation', '--dir', dist]);
    try {
      const page = await browser.newPage({ viewport: { width: 1000, height: 700 } });
      const errors = watchErrors(page);
      await page.goto(`http://127.0.0.1:${port}/index.html?n_samples=500&steps=30`);
      const stats = await waitForStats(page, finished, 90);
      check('deploy: with the service worker, a host without headers runs the threaded build',
            stats && stats.isolated && stats.build === 'wasm threads + simd' && finished(stats), JSON.stringify(stats));
      await page.screenshot({ path: path.join(shotDir, 'deploy-service-worker.png') });
      check('deploy: no console errors', errors.length === 0, JSON.stringify(errors));
      await page.close();
    } finally {
      server.kill();
    }
  } finally {
    fs.rmSync(dist, { recursive: true, force: true });
  }
}

// Every iframe snippet of docs/embedding.md, as a blogger pastes it, in a column 320, 480, 720 and
// 1,280 pixels wide on a page of another origin: the frame fits the column, the embed runs without
// an error (to the end in the narrowest and the widest column; in the two between, the layout
// under test, for three steps shown: the run does not depend on the width), and image tiles stay at
// least 10 pixels from 720 px up; each screenshotted (docs-snippet-K-W.png).
async function docsSnippets(browser, hostPort, appPort) {
  const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'embedding.md'), 'utf8');
  const snippets = [...doc.matchAll(/<iframe[\s\S]*?<\/iframe>/g)].map(m => m[0])
    .filter(html => html.includes('YOUR-HOST/cfdm/embed.html'));
  check('docs snippets: found', snippets.length >= 7, `${snippets.length} snippets`);
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  // Console errors of the embed (the blog page itself is a 404 page of the host's origin, whose own
  // missing-page and favicon errors are not the embed's).
  const errors = [];
  page.on('console', m => {
    if (m.type() === 'error' && !/\/(no-such-page\.html|favicon\.ico)$/.test(m.location().url || ''))
      errors.push(`${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', e => errors.push(String(e)));
  for (let k = 0; k < snippets.length; k++) {
    // (speed=max: the layout is under test here, not the pace of the flow)
    const html = snippets[k].replace('https://YOUR-HOST/cfdm/embed.html?', `http://127.0.0.1:${appPort}/embed.html?speed=max&`)
      .replace('loading="lazy"', '');
    for (const width of [320, 480, 720, 1280]) {
      await page.goto(`http://127.0.0.1:${hostPort}/no-such-page.html`);  // a page of the host's origin (a 404)
      await page.setContent(`<body style="margin: 0; font-family: serif"><div id="column" style="width: ${width}px; ` +
                            `margin: 20px auto"><p>Some article text before the demo.</p>${html}<p>And after.</p></div></body>`);
      const frame = () => page.frames().find(f => f !== page.mainFrame() && f.url().includes('/embed.html'));
      const toTheEnd = width === 320 || width === 1280;
      const done = s => finished(s) || (!toTheEnd && s.view_step >= Math.min(3, s.n_steps) && !s.loading);
      let stats = null;
      for (let i = 0; i < 900 && !(stats && (stats.error !== '' || done(stats))); i++) {
        const f = frame();
        stats = f ? await f.evaluate(() => window.cfdm && window.cfdm.stats()).catch(() => null) : null;
        await page.waitForTimeout(100);
      }
      const box = await page.evaluate(() => {
        const f = document.querySelector('iframe').getBoundingClientRect();
        const c = document.getElementById('column').getBoundingClientRect();
        return { frame: f.width, height: f.height, column: c.width };
      });
      const name = `snippet ${k + 1} at ${width} px`;
      check(`docs snippets: ${name} fits its column`, box.frame <= box.column + 0.5 && box.height > 100, JSON.stringify(box));
      check(`docs snippets: ${name} runs${toTheEnd ? ' to the end' : ''} without an error`,
            stats && done(stats) && stats.error === '', JSON.stringify(stats));
      // Image tiles readable from a 720-pixel column up (narrower, the full-controls MNIST embed's
      // 36 pairs shrink to about 12 pixels, without distances and with narrower gaps).
      // (the layout as it settles: the status panel sizes itself to the previous frame's text, so
      // the frame that first shows a run's images may still lay them out around the old panel)
      if (stats && stats.tiles > 0 && width >= 720) {
        await page.waitForTimeout(300);
        const f = frame();
        if (f) await nextFrames(f).catch(() => {});
        const settled = (f ? await f.evaluate(() => window.cfdm.stats()).catch(() => null) : null) || stats;
        check(`docs snippets: ${name}: image tiles of at least 10 pixels`, settled.tile_size >= 10, JSON.stringify(settled));
      }
      // The status window (the full controls' caption) clear of the embed's link to the full-speed app.
      const f = frame();
      const sides = f ? await f.evaluate(() => {
        const link = document.getElementById('fast'), r = link.getBoundingClientRect();
        return { link: getComputedStyle(link).display === 'none' ? null : [r.left, r.top, r.right, r.bottom],
                 status: window.cfdm.stats().status_box };
      }).catch(() => null) : null;
      if (sides && sides.link && sides.status)
        check(`docs snippets: ${name}: the status clear of the full-speed link`, !overlap(sides.status, sides.link),
              JSON.stringify(sides));
      await page.screenshot({ path: path.join(shotDir, `docs-snippet-${k + 1}-${width}.png`), fullPage: true });
    }
  }
  check('docs snippets: no console errors', errors.length === 0, JSON.stringify(errors));
  await page.close();
}

async function main() {
  const base = 20000 + (process.pid % 1000) * 2;
  const app = await serve(webDir, base);                       // the app's host, with COOP/COEP
  const host = await serve(webDir, base + 1, ['--no-isolation']);  // a blog: another origin, no headers
  const browser = await launch(playwrightDir);
  try {
    await crossOriginEmbed(browser, base + 1, base);
    await hostileInputs(browser, base + 1, base);
    await longSetOnTheFullApp(browser, base);
    await posterAndSize(browser, base);
    await exports(browser, base);
    await phone(browser, base);
    await docsSnippets(browser, base + 1, base);
    if (deployScript) await staticDeploy(browser, base + 2);
  } finally {
    await browser.close();
    app.kill();
    host.kill();
  }
  finish();
}

main().catch(e => { console.log(`FAIL ${e.stack}`); process.exit(1); });
