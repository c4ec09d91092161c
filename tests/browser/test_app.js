// Browser test of the web app in headless Chromium (Debian's chromium, npm playwright-core).
//
// usage: node test_app.js WEB_DIR SCREENSHOT_DIR PLAYWRIGHT_CORE_DIR
//
// Serves WEB_DIR (the wasm build's cfdm_app.js, .wasm, index.html) with web/serve.py, cross-origin
// isolated, and checks: no console errors, crossOriginIsolated, the threaded build runs, and
// window.cfdm.stats() shows sampling advance to the last step. Saves a screenshot.
'use strict';
const { spawn } = require('child_process');
const path = require('path');

const [webDir, shotDir, playwrightDir] = process.argv.slice(2);
const { chromium } = require(path.resolve(playwrightDir));
const LAUNCH_ARGS = ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking',
                     '--disable-component-update', '--disable-sync', '--use-gl=angle', '--use-angle=swiftshader',
                     '--enable-unsafe-swiftshader'];
let passed = 0, failed = 0;
function check(name, ok, detail) {
  if (ok) passed++;
  else { failed++; console.log(`FAIL ${name}: ${detail}`); }
}

function serve(port, extraArgs) {
  const server = spawn('python3', [path.join(webDir, 'serve.py'), '--port', String(port), '--dir', webDir, ...extraArgs],
                       { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    server.stdout.once('data', () => resolve(server));
    server.once('exit', code => reject(new Error(`serve.py exited with ${code}`)));
  });
}

async function main() {
  const port = 18000 + (process.pid % 1000);
  const server = await serve(port, []);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: LAUNCH_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    const errors = [];
    page.on('console', m => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', e => errors.push(String(e)));
    await page.goto(`http://127.0.0.1:${port}/index.html`);
    check('page is cross-origin isolated', await page.evaluate(() => self.crossOriginIsolated), 'crossOriginIsolated is false');
    let stats = null, first = null;
    for (let i = 0; i < 600; i++) {  // up to 60 s
      stats = await page.evaluate(() => window.cfdm && window.cfdm.stats());
      if (stats && first === null) first = stats;
      if (stats && stats.step === stats.n_steps && stats.samples_done === stats.n_samples) break;
      await page.waitForTimeout(100);
    }
    check('window.cfdm.stats() answers', stats !== null, 'no stats');
    if (stats) {
      check('threaded build runs', stats.build === 'wasm threads + simd' && stats.threads >= 2 && stats.isolated,
            JSON.stringify(stats));
      check('sampling reaches the last step', stats.step === stats.n_steps && stats.samples_done === stats.n_samples,
            JSON.stringify(stats));
      check('no error message', stats.error === '', stats.error);
    }
    await page.screenshot({ path: path.join(shotDir, 'app-threads.png') });
    check('no console errors', errors.length === 0, JSON.stringify(errors));
  } finally {
    await browser.close();
    server.kill();
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch(e => { console.log(`FAIL ${e.stack}`); process.exit(1); });
