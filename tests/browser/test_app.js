// Browser test of the web app in headless Chromium (Debian's chromium, npm playwright-core).
//
// usage: node test_app.js WEB_DIR SCREENSHOT_DIR PLAYWRIGHT_CORE_DIR
//
// Serves WEB_DIR (index.html, threads/ and single/ builds) with web/serve.py twice: with the
// COOP/COEP headers the page must run the threaded build, without them the single-thread build;
// both with no console errors and window.cfdm.stats() showing sampling reach the last step.
// Saves a screenshot of each.
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

// Loads the page from a server started with serveArgs and checks the build it should pick.
async function scenario(browser, name, serveArgs, expected) {
  const port = 18000 + (process.pid % 1000) + (serveArgs.length ? 1 : 0);
  const server = await serve(port, serveArgs);
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    const errors = [];
    page.on('console', m => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', e => errors.push(String(e)));
    await page.goto(`http://127.0.0.1:${port}/index.html`);
    const isolated = await page.evaluate(() => self.crossOriginIsolated);
    check(`${name}: cross-origin isolation is ${expected.isolated}`, isolated === expected.isolated, `got ${isolated}`);
    let stats = null;
    for (let i = 0; i < 900; i++) {  // up to 90 s
      stats = await page.evaluate(() => window.cfdm && window.cfdm.stats());
      if (stats && stats.step === stats.n_steps && stats.samples_done === stats.n_samples) break;
      await page.waitForTimeout(100);
    }
    check(`${name}: window.cfdm.stats() answers`, stats !== null, 'no stats');
    if (stats) {
      check(`${name}: runs the ${expected.build} build`,
            stats.build === expected.build && stats.threads >= expected.minThreads && stats.isolated === expected.isolated,
            JSON.stringify(stats));
      check(`${name}: sampling reaches the last step`,
            stats.step === stats.n_steps && stats.samples_done === stats.n_samples, JSON.stringify(stats));
      check(`${name}: no error message`, stats.error === '', stats.error);
    }
    await page.screenshot({ path: path.join(shotDir, `app-${name}.png`) });
    check(`${name}: no console errors`, errors.length === 0, JSON.stringify(errors));
    await page.close();
  } finally {
    server.kill();
  }
}

async function main() {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: LAUNCH_ARGS });
  try {
    await scenario(browser, 'threads', [], { isolated: true, build: 'wasm threads + simd', minThreads: 2 });
    await scenario(browser, 'single', ['--no-isolation'], { isolated: false, build: 'wasm single-thread simd', minThreads: 1 });
  } finally {
    await browser.close();
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch(e => { console.log(`FAIL ${e.stack}`); process.exit(1); });
