// Helpers shared by the browser tests and the app benchmark: Chromium, the page server, stats.
'use strict';
const { spawn } = require('child_process');
const path = require('path');

// Headless Chromium with a software WebGL2 (SwiftShader through ANGLE): no GPU needed.
const LAUNCH_ARGS = ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking',
                     '--disable-component-update', '--disable-sync', '--use-gl=angle', '--use-angle=swiftshader',
                     '--enable-unsafe-swiftshader'];

function launch(playwrightDir) {
  const { chromium } = require(path.resolve(playwrightDir));
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: LAUNCH_ARGS });
}

// Serves webDir with web/serve.py (COOP/COEP headers unless extraArgs has --no-isolation).
function serve(webDir, port, extraArgs = []) {
  const server = spawn('python3', [path.join(webDir, 'serve.py'), '--port', String(port), '--dir', webDir, ...extraArgs],
                       { stdio: ['ignore', 'pipe', 'inherit'] });
  // Stopped with the test, also when it dies of an uncaught error: a server left running keeps
  // ctest waiting on the test's output until its timeout.
  process.on('exit', () => server.kill());
  return new Promise((resolve, reject) => {
    server.stdout.once('data', () => resolve(server));
    server.once('exit', code => reject(new Error(`serve.py exited with ${code}`)));
  });
}

// Polls window.cfdm.stats() until done(stats) holds (up to `seconds`); returns the last stats.
async function waitForStats(page, done, seconds = 90) {
  let stats = null;
  for (let i = 0; i < seconds * 10; i++) {
    // (a navigation, such as the service worker's reload, interrupts an evaluation: try again)
    stats = await page.evaluate(() => window.cfdm && window.cfdm.stats()).catch(() => null);
    if (stats && done(stats)) break;
    await page.waitForTimeout(100);
  }
  return stats;
}
// Done, and the picture shows the last step (the flow plays on screen at the speed setting).
const finished = s => s.step === s.n_steps && s.samples_done === s.n_samples && !s.loading && s.view_step === s.step;

// Resolves once the page has shown n more animation frames (the app draws in each): after a
// fixed wait, this makes sure the app has drawn what the wait was for, even on a loaded machine
// where the browser held the page's frames longer than the wait.
function nextFrames(page, n = 3) {
  return page.evaluate(n => new Promise(resolve => {
    const next = k => (k === 0 ? resolve() : requestAnimationFrame(() => next(k - 1)));
    next(n);
  }), n);
}

// Console errors and uncaught exceptions of a page, collected as they come.
function watchErrors(page) {
  const errors = [];
  page.on('console', m => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', e => errors.push(String(e)));
  return errors;
}

// check(name, ok, detail) counts and prints failures; finish() prints the tally and exits.
let passed = 0, failed = 0;
function check(name, ok, detail) {
  if (ok) passed++;
  else { failed++; console.log(`FAIL ${name}: ${detail}`); }
}
function finish() {
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

// Whether two screen boxes [left, top, right, bottom] overlap (touching edges do not).
function overlap(a, b) {
  return a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
}

module.exports = { launch, serve, waitForStats, finished, nextFrames, watchErrors, check, finish, overlap };
