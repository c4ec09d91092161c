// Emscripten gives a program under node a synthetic environment; the command-line tools read
// the real one (CFDM_DATA_DIR and friends), so copy process.env in before main() runs.
Module['preRun'] = Module['preRun'] || [];
Module['preRun'].push(function () {
  if (typeof process !== 'undefined' && process.env) {
    for (var key in process.env) ENV[key] = process.env[key];
  }
});
