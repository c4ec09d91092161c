// cfdm's page loader, shared by index.html (the full app) and embed.html (the embeddable one).
//
// It picks a build: the threaded one (pthreads + SIMD) where the page is cross-origin isolated,
// which SharedArrayBuffer needs, the single-thread one otherwise, and also where memory is tight
// (navigator.deviceMemory <= 2 GB) or where the browser refuses the threaded build a shared
// memory; `?build=single` or `?build=threads` overrides. It gives the
// app what it asks the page for (image datasets, fetched and unpacked by workers running this
// same script; downloads; the address) and exposes:
//
//   window.cfdm.stats()        step, n_steps, samples_done, n_samples, threads, build, fps, copies,
//                              copy_share, sweep_runs, error...
//   window.cfdm.set(params)    change settings: {sigma: 0.2, draws: 4} or "sigma=0.2&draws=4";
//                              returns what was refused ('' when all of it applied)
//   window.cfdm.play() / pause() / reset() / step() / sweep() (the sigma sweep)
//   window.cfdm.select(i)      inspects sample i, as a click on it does (-1: none)
//   window.cfdm.setDrawing(on) draw frames (true, the default) or not: sampling goes on, the
//                              picture stands still (the benchmark times sampling without drawing)
//   window.cfdm.state()        the settings as a query that reproduces the samples
//   window.cfdm.link()         the full app's address with that query
//   window.cfdm.exportFile(k)  downloads 'samples.npy', 'samples.csv', 'trajectories.npy',
//                              'trajectories.csv', 'picture.png' or 'canvas.png'
//
// and the same to a host page through postMessage (docs/embedding.md):
//   host -> app: {type: 'cfdm:set', params}, {type: 'cfdm:play'}, 'cfdm:pause', 'cfdm:reset',
//                'cfdm:step', {type: 'cfdm:stats', id}, {type: 'cfdm:state', id}
//   app -> host: {type: 'cfdm:ready', build}, {type: 'cfdm:stats', id, stats},
//                {type: 'cfdm:state', id, query, link}, {type: 'cfdm:done', stats} when a run
//                reaches its last step, {type: 'cfdm:error', message, id} for every refused
//                setting or message and every error the app shows
//
// Only the embedding page is obeyed (a message whose source is window.parent), and only from the
// origins listed in the page's `hosts=` key when it has one (`hosts=https://blog.example`); events
// go to the embedding page's origin when it is known. Every string from outside is capped before
// it reaches the app, and passed through the heap.
'use strict';
(function () {
  // The image data's files, unpacked, are kept in the browser's Cache Storage (where the page may
  // use it: a secure context, storage not blocked), so a second visit neither downloads nor unpacks
  // them again. A new version of the files needs a new cache name (older caches are dropped).
  var kDataCache = 'cfdm-data-2', kOldDataCaches = ['cfdm-data-1'];
  function openDataCache() {
    try {
      if (typeof caches === 'undefined') return Promise.resolve(null);
      kOldDataCaches.forEach(function (name) { caches.delete(name).catch(function () {}); });
      return caches.open(kDataCache).catch(function () { return null; });
    } catch (e) {
      return Promise.resolve(null);  // e.g. a sandboxed frame: no storage
    }
  }
  // One compressed file (an absolute URL ending in .gz): its unpacked bytes from the cache, else
  // downloaded, its bytes counted (onProgress(loaded, total)), unpacked (DecompressionStream) and
  // kept in the cache under the name without .gz. Resolves to {buffer: the unpacked bytes, kept: a
  // promise settled once the cache holds them} (the bytes are not kept waiting for the cache).
  function fetchUnpacked(url, onProgress) {
    var key = url.replace(/\.gz$/, '');
    return openDataCache().then(function (cache) {
      var lookup = cache ? cache.match(key).catch(function () { return undefined; }) : Promise.resolve(undefined);
      return lookup.then(function (hit) {
        if (hit) {
          return hit.arrayBuffer().then(function (buffer) {
            onProgress(buffer.byteLength, buffer.byteLength);
            return { buffer: buffer, kept: Promise.resolve() };
          });
        }
        return fetch(url).then(function (response) {
          if (!response.ok) throw new Error(url.split('/').slice(-2).join('/') + ': HTTP ' + response.status);
          var loaded = 0, total = Number(response.headers.get('Content-Length')) || 0;
          var counted = response.body.pipeThrough(new TransformStream({
            transform: function (chunk, controller) {
              loaded += chunk.byteLength;
              onProgress(loaded, total);
              controller.enqueue(chunk);
            },
          }));
          var unpacked = counted.pipeThrough(new DecompressionStream('gzip'));
          return new Response(unpacked).arrayBuffer().then(function (buffer) {
            var kept = cache ? cache.put(key, new Response(buffer))  // (a copy of the bytes)
              .catch(function () { /* storage full or refused: not kept */ }) : Promise.resolve();
            return { buffer: buffer, kept: kept };
          });
        });
      });
    });
  }

  // In a worker (started by the page below to fetch a dataset's file): one file, its progress and
  // its bytes (transferred) or its error posted back, then word once the cache holds it.
  if (typeof window === 'undefined') {
    self.onmessage = function (event) {
      var url = String(event.data && event.data.url);
      if (url.indexOf(location.origin + '/') !== 0) {  // only this site's files
        self.postMessage({ type: 'error', message: 'not a file of this site: ' + url.slice(0, 80) });
        return;
      }
      fetchUnpacked(url, function (loaded, total) { self.postMessage({ type: 'progress', loaded: loaded, total: total }); })
        .then(function (got) {
          self.postMessage({ type: 'done', buffer: got.buffer }, [got.buffer]);
          return got.kept.then(function () { self.postMessage({ type: 'kept' }); });
        }, function (error) { self.postMessage({ type: 'error', message: String(error && error.message || error) }); });
    };
    return;
  }

  var loaderScript = document.currentScript.src;  // (the data workers run it too)
  var query = new URLSearchParams(location.search);
  var memoryTight = navigator.deviceMemory !== undefined && navigator.deviceMemory <= 2;
  var build = query.get('build') === 'single' || query.get('build') === 'threads'
    ? query.get('build')
    : self.crossOriginIsolated && !memoryTight ? 'threads' : 'single';
  if (build === 'threads' && !self.crossOriginIsolated) build = 'single';  // it could not start
  // The threaded build's shared memory, made here rather than by the build: some browsers (iOS
  // Safari) refuse to reserve a shared memory as large as the build's maximum (2 GB) and the page
  // would not start. A smaller maximum is tried next (a WebAssembly module accepts a memory whose
  // maximum is below its own; the app is told the cap, so it refuses data that cannot fit), and
  // when no shared memory can be had, the single-thread build runs instead. Made when the app
  // starts (an embed not yet scrolled into view reserves nothing); `fallback` says why threads
  // were given up.
  var kPage = 65536, kInitialMemory = 64 * 1024 * 1024;  // CMakeLists.txt: -sINITIAL_MEMORY
  var sharedMemory = null, memoryCap = 0, fallback = '';
  function chooseSharedMemory() {
    if (build !== 'threads') return;
    var refusal = '';
    var maxima = [2048, 1024, 512];  // MB; the first is the build's -sMAXIMUM_MEMORY
    for (var m = 0; m < maxima.length && !sharedMemory; m++) {
      try {
        sharedMemory = new WebAssembly.Memory({ initial: kInitialMemory / kPage, maximum: maxima[m] * 1024 * 1024 / kPage,
                                                shared: true });
        if (m > 0) memoryCap = maxima[m] * 1024 * 1024;
      } catch (error) {
        refusal = String(error && error.message || error);
      }
    }
    if (sharedMemory) return;
    if (query.get('build') !== 'threads') build = 'single';
    fallback = 'this browser refused the threaded version\'s memory (' + refusal.slice(0, 80) + ')';
  }
  var kMaxQuery = 16384;  // characters of settings the app reads (src/app/url_state.hpp kMaxQueryBytes)
  var kMaxDropBytes = 512 * 1024 * 1024;  // a dropped file
  var runtimeReady = false;
  var started = false;
  var listeners = [];  // called with the query whenever the settings change
  var lastError = '', lastWarnings = '';  // the app's error and warnings last said to the host

  // Outside text in a message: at most 40 characters, control characters escaped.
  function shown(text) {
    var t = String(text);
    if (t.length > 40) t = t.slice(0, 28) + '...' + t.slice(-9);
    return JSON.stringify(t);
  }
  // Calls an exported function with strings copied into the wasm heap (ccall would put them on
  // the stack, which a long string overflows), then the other arguments.
  function callWithStrings(fn, strings, rest) {
    var pointers = [];
    try {
      strings.forEach(function (text) {
        var length = Module.lengthBytesUTF8(text) + 1;
        var pointer = Module._malloc(length);
        if (!pointer) throw new Error('out of memory');
        pointers.push(pointer);
        Module.stringToUTF8(text, pointer, length);
      });
      return fn.apply(null, pointers.concat(rest || []));
    } finally {
      pointers.forEach(function (pointer) { Module._free(pointer); });
    }
  }
  // Settings as a query: a string ("sigma=0.2&draws=4") or an object of strings, numbers and
  // booleans. Throws an Error saying what is wrong.
  function toQuery(params) {
    var q;
    if (typeof params === 'string') {
      q = params.charAt(0) === '?' ? params.slice(1) : params;
    } else if (params && typeof params === 'object' && !Array.isArray(params)) {
      q = Object.keys(params).map(function (k) {
        var v = params[k];
        if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
          throw new Error('the value of ' + shown(k) + ' is ' + (v === null ? 'null' : Array.isArray(v) ? 'a list'
                          : typeof v === 'object' ? 'an object' : 'a ' + typeof v) + ': give a string, a number or a boolean');
        return encodeURIComponent(k) + '=' + encodeURIComponent(String(v));
      }).join('&');
    } else {
      throw new Error('settings must be a query string ("sigma=0.2&draws=4") or an object ({sigma: 0.2})');
    }
    if (q.length > kMaxQuery)
      throw new Error('ignored settings of ' + q.length + ' characters: at most ' + kMaxQuery + ' are read');
    return q;
  }
  // Shows a refusal in the app (its status or compact panel) like its own errors.
  function showInApp(message) {
    if (runtimeReady) callWithStrings(Module._cfdm_report_error, [message]);
  }
  function fullLink(q) {
    return new URL('index.html?' + q, location.href).href;
  }

  // Image datasets are fetched when first chosen (or, named in the page's address, while the app
  // itself loads): data/NAME-images.idx.gz and data/NAME-labels.idx.gz, each by a worker running
  // this script (fetchUnpacked, below: from the cache after the first time, unpacked there, the
  // bytes handed over without a copy), so that the page's thread is free to start the app
  // meanwhile; on the page's thread where no worker can start. Written into the app's file system
  // (/data) when the app asks, with progress reported to the app (its status window shows a bar)
  // once it runs.
  var kImageDatasets = ['mnist', 'fashion-mnist'];
  // The file sets the app may ask for: a dataset whole, or one class of it alone (NAME-class-C,
  // a tenth of the download; the app reads it when just that class is chosen).
  function isDatasetFiles(name) {
    var m = /^(.*)-class-[0-9]$/.exec(name);
    return kImageDatasets.indexOf(m ? m[1] : name) >= 0;
  }
  // The file set a link's settings start with (null: not an image dataset, or not known before
  // the app runs): one class alone when the link keeps a single class; the whole set when it keeps
  // several or names none, except on a small device, where the app starts with one class.
  function datasetFilesOfLink(q) {
    var name = q.get('dataset'), classes = q.get('classes');
    if (kImageDatasets.indexOf(name) < 0) return null;
    if (classes !== null && /^[0-9]$/.test(classes)) return name + '-class-' + classes;
    if (classes === null && memoryTight) return null;
    return name;
  }
  var datasetFetches = {};  // name -> a fetch under way or done, not yet handed to the app
  var kNoWorker = {};  // (a rejection: no worker, fetch on this thread)
  function fetchInWorker(url, onProgress) {
    return new Promise(function (resolve, reject) {
      var worker;
      try {
        worker = new Worker(loaderScript);
      } catch (e) {
        reject(kNoWorker);
        return;
      }
      var started = false;
      worker.onerror = function (event) {
        event.preventDefault();
        worker.terminate();
        reject(started ? new Error('the data worker failed: ' + (event.message || 'no reason given')) : kNoWorker);
      };
      worker.onmessage = function (event) {
        var m = event.data;
        started = true;
        if (m.type === 'progress') return onProgress(m.loaded, m.total);
        if (m.type === 'done') return resolve(m.buffer);  // (the worker goes on keeping it in the cache)
        worker.terminate();
        if (m.type === 'error') reject(new Error(m.message));
      };
      worker.postMessage({ url: url });
    });
  }
  function startDatasetFetch(name) {
    var files = [name + '-images.idx', name + '-labels.idx'];
    var fetch_ = { name: name, files: files, loaded: [0, 0], total: [0, 0], onProgress: null };
    function fetchOne(i) {
      var url = new URL('data/' + files[i] + '.gz', location.href).href;
      var onProgress = function (loaded, total) {
        fetch_.loaded[i] = loaded, fetch_.total[i] = total;
        if (fetch_.onProgress) fetch_.onProgress();
      };
      return fetchInWorker(url, onProgress).catch(function (why) {
        if (why === kNoWorker) return fetchUnpacked(url, onProgress).then(function (got) { return got.buffer; });
        throw why;
      });
    }
    fetch_.buffers = Promise.all([fetchOne(0), fetchOne(1)]);
    fetch_.buffers.catch(function () { /* reported when the app asks */ });
    datasetFetches[name] = fetch_;
    return fetch_;
  }
  // Tells the app how its fetch of the file set `name` goes (its status shows a bar, or the error).
  function reportFetch(name, loaded, total, ready, error) {
    callWithStrings(function (namePointer, errorPointer) {
      Module._cfdm_fetch_progress(namePointer, loaded, total, ready ? 1 : 0, errorPointer);
    }, [name, String(error || '').slice(0, 300)]);
  }
  window.cfdmFetchDataset = function (name) {
    name = String(name);
    if (!isDatasetFiles(name)) return reportFetch(name, 0, 0, false, 'not a dataset of this site');
    var fetch_ = datasetFetches[name] || startDatasetFetch(name);
    delete datasetFetches[name];  // a later request (after a failure) fetches again
    function report(ready, error) {
      reportFetch(name, fetch_.loaded[0] + fetch_.loaded[1], fetch_.total[0] + fetch_.total[1], ready, error);
    }
    fetch_.onProgress = function () { report(false); };
    fetch_.buffers.then(function (buffers) {
      try { Module.FS.mkdir('/data'); } catch (e) { /* exists */ }
      // The file system keeps the fetched bytes themselves (canOwn): no copy of 47 MB on the page's
      // thread. Nothing writes to them afterwards.
      for (var i = 0; i < 2; i++)
        Module.FS.writeFile('/data/' + fetch_.files[i], new Uint8Array(buffers[i]), { canOwn: true });
      report(true);
    }).catch(function (error) { report(false, String(error.message || error)); });
  };

  // The address follows the settings (keeping `build` if the page was given one).
  window.cfdmOnState = function (q) {
    var keep = query.get('build') ? '&build=' + query.get('build') : '';
    try { history.replaceState(null, '', location.pathname + '?' + q + keep); } catch (e) { /* sandboxed */ }
    listeners.forEach(function (f) { f(q); });
  };

  window.cfdmCopyLink = function (q) {
    var link = fullLink(q);
    window.cfdmLastLink = link;  // (for tests: headless browsers may refuse the clipboard)
    if (navigator.clipboard) navigator.clipboard.writeText(link).catch(function () { /* not allowed here */ });
  };

  window.cfdmCopyText = function (text) {
    window.cfdmLastCopied = text;  // (for tests: headless browsers may refuse the clipboard)
    if (navigator.clipboard) navigator.clipboard.writeText(text).catch(function () { /* not allowed here */ });
  };

  function saveBlob(blob, name) {
    var a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = name;
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }
  window.cfdmDownload = function (path) {
    saveBlob(new Blob([Module.FS.readFile(path)]), path.split('/').pop());
  };
  window.cfdmDownloadCanvas = function () {
    Module.canvas.toBlob(function (blob) { saveBlob(blob, 'cfdm-canvas.png'); }, 'image/png');
  };

  var exportKinds = ['samples.npy', 'samples.csv', 'trajectories.npy', 'trajectories.csv', 'picture.png'];
  var api = {
    build: build,
    stats: function () {
      if (!runtimeReady) return null;  // still loading
      return JSON.parse(UTF8ToString(Module._cfdm_stats_json()));
    },
    set: function (params) {
      if (!runtimeReady) return 'still loading';
      var refused;
      try {
        refused = UTF8ToString(callWithStrings(Module._cfdm_set, [toQuery(params)]));
      } catch (error) {
        refused = String(error.message || error);
        showInApp(refused);  // the current run goes on
      }
      var s = api.stats();
      if (s) { lastError = s.error; lastWarnings = s.warnings; }  // (said once, to whoever asked: not again by watch())
      return refused;
    },
    play: function () { if (runtimeReady) Module._cfdm_control(0); },
    pause: function () { if (runtimeReady) Module._cfdm_control(1); },
    reset: function () { if (runtimeReady) Module._cfdm_control(2); },
    step: function () { if (runtimeReady) Module._cfdm_control(3); },
    sweep: function () { if (runtimeReady) Module._cfdm_control(4); },
    select: function (index) { if (runtimeReady) Module._cfdm_select(index | 0); },
    setDrawing: function (on) { if (runtimeReady) Module._cfdm_set_drawing(on ? 1 : 0); },
    state: function () { return runtimeReady ? UTF8ToString(Module._cfdm_state()) : null; },
    link: function () { return runtimeReady ? fullLink(api.state()) : null; },
    exportFile: function (kind) {
      if (!runtimeReady) return 'error: still loading';
      if (kind === 'canvas.png') { Module._cfdm_export_canvas(); return 'cfdm-canvas.png'; }
      var index = exportKinds.indexOf(kind);
      if (index < 0) return 'error: unknown export ' + kind + ' (one of ' + exportKinds.join(', ') + ', canvas.png)';
      var result = UTF8ToString(Module._cfdm_export(index));
      if (result.indexOf('error: ') !== 0) window.cfdmDownload(result);
      return result;
    },
    onState: function (f) { listeners.push(f); },
  };
  window.cfdm = api;

  // The host page's messages, and the events it hears back. Only the embedding page is obeyed,
  // and only from an allowed origin when the embed's address lists them (hosts=ORIGIN,ORIGIN).
  var embedded = window.parent !== window;
  var allowedHosts = (query.get('hosts') || '').split(',').map(function (h) { return h.trim(); })
    .filter(function (h) { return h.length > 0; });
  function hostAllowed(origin) { return allowedHosts.length === 0 || allowedHosts.indexOf(origin) >= 0; }
  // The embedding page's origin, where the browser tells it (location.ancestorOrigins, else the
  // referrer); null when unknown.
  var hostOrigin = null;
  try {
    if (embedded && location.ancestorOrigins && location.ancestorOrigins.length) hostOrigin = location.ancestorOrigins[0];
    else if (embedded && document.referrer) hostOrigin = new URL(document.referrer).origin;
  } catch (e) { hostOrigin = null; }
  if (hostOrigin === 'null') hostOrigin = null;
  // Events go to the host's origin when known; to '*' only where no allow-list says otherwise.
  function post(message) {
    if (!embedded) return;
    if (hostOrigin) {
      if (hostAllowed(hostOrigin)) window.parent.postMessage(message, hostOrigin);
    } else if (allowedHosts.length === 1) {
      window.parent.postMessage(message, allowedHosts[0]);
    } else if (allowedHosts.length === 0) {
      window.parent.postMessage(message, '*');
    }
  }
  window.addEventListener('message', function (event) {
    if (!embedded || event.source !== window.parent || !hostAllowed(event.origin)) return;  // not the host: ignored
    var m = event.data;
    if (!m || typeof m.type !== 'string' || m.type.indexOf('cfdm:') !== 0) return;
    if (event.origin !== 'null' && !hostOrigin) hostOrigin = event.origin;
    var id = typeof m.id === 'number' || (typeof m.id === 'string' && m.id.length <= 100) ? m.id : undefined;
    var reply = function (msg) { event.source.postMessage(msg, event.origin === 'null' ? '*' : event.origin); };
    var refuse = function (message) { reply({ type: 'cfdm:error', id: id, message: message }); };
    if (!runtimeReady && m.type !== 'cfdm:stats' && m.type !== 'cfdm:state') {
      refuse('still loading: wait for cfdm:ready');
      return;
    }
    switch (m.type) {
      case 'cfdm:set': {
        var refused = api.set(m.params === undefined ? {} : m.params);
        if (refused) refuse(refused);
        break;
      }
      case 'cfdm:play': api.play(); break;
      case 'cfdm:pause': api.pause(); break;
      case 'cfdm:reset': api.reset(); break;
      case 'cfdm:step': api.step(); break;
      case 'cfdm:stats': reply({ type: 'cfdm:stats', id: id, stats: api.stats() }); break;
      case 'cfdm:state': reply({ type: 'cfdm:state', id: id, query: api.state(), link: api.link() }); break;
      default: refuse('unknown message ' + shown(m.type) + ' (cfdm:set, play, pause, reset, step, stats, state)');
    }
  });
  // 'cfdm:done' once per run that reaches its last step; errors as they appear.
  var lastDone = '';
  function watch() {
    var s = api.stats();
    if (s) {
      var key = api.state() + '|' + s.seconds;
      var done = s.step === s.n_steps && s.samples_done === s.n_samples && !s.loading;
      if (done && key !== lastDone) { lastDone = key; post({ type: 'cfdm:done', stats: s }); }
      if (s.error && s.error !== lastError) post({ type: 'cfdm:error', message: s.error });
      if (s.warnings && s.warnings !== lastWarnings) post({ type: 'cfdm:error', message: s.warnings });
      lastError = s.error;
      lastWarnings = s.warnings;
    }
    setTimeout(watch, 100);
  }

  // The service-worker option (scripts/deploy.sh --service-worker sets window.cfdmServiceWorker to
  // its script): on a host that cannot send COOP/COEP, a top-level page registers isolation-sw.js
  // and reloads once under its control, which makes it cross-origin isolated. Returns true when a
  // reload is coming.
  function isolateWithServiceWorker() {
    var script = window.cfdmServiceWorker;
    if (!script || self.crossOriginIsolated || window.parent !== window || !('serviceWorker' in navigator)) return false;
    if (navigator.serviceWorker.controller) return false;  // controlled, yet not isolated: give up (no loop)
    navigator.serviceWorker.register(script).then(function (registration) {
      var reload = function () { if (!sessionStorage.getItem('cfdm-sw-reloaded')) { sessionStorage.setItem('cfdm-sw-reloaded', '1'); location.reload(); } };
      if (registration.active) reload();
      else navigator.serviceWorker.addEventListener('controllerchange', reload);
    });
    return !sessionStorage.getItem('cfdm-sw-reloaded');
  }

  // A file dropped on the page goes to the app (/drop/NAME): .npy or .csv of 2-D points become the
  // training data; anything else gets a message and changes nothing.
  function acceptDrops() {
    window.addEventListener('dragover', function (e) { e.preventDefault(); });
    window.addEventListener('drop', function (e) {
      e.preventDefault();
      var file = e.dataTransfer && e.dataTransfer.files[0];
      if (!file || !runtimeReady) return;
      // The name as the app shows it: safe characters, at most 100 of them, the extension kept.
      var name = file.name.replace(/[^A-Za-z0-9._ -]/g, '_');
      if (name.length > 100) name = name.slice(0, 60) + '...' + name.slice(-37);
      if (file.size > kMaxDropBytes) {
        showInApp('could not use ' + name + ': it has ' + (file.size / 1e6).toFixed(0) + ' MB; the app reads files up to ' +
                  kMaxDropBytes / (1024 * 1024) + ' MB (the command line reads larger ones)');
        return;
      }
      file.arrayBuffer().then(function (buffer) {
        try { Module.FS.mkdir('/drop'); } catch (err) { /* exists */ }
        var path = '/drop/' + name;
        Module.FS.writeFile(path, new Uint8Array(buffer));
        callWithStrings(Module._cfdm_drop_file, [path]);
      }, function (error) { showInApp('could not read ' + name + ': ' + String(error.message || error)); });
    });
  }

  // Milestones of the start on the page's performance timeline (cfdm-start, cfdm-code-compiled,
  // cfdm-runtime-ready; the app adds cfdm-first-frame): seen in a browser's profiler, and read by
  // the benchmark (tests/browser/bench_app.js).
  function mark(name) {
    if (self.performance && performance.mark) performance.mark(name);
  }

  // The app's code (2 MB) is fetched and compiled from the start, beside its script, rather than
  // once that script has run (Emscripten's own loader): the compile no longer waits on the
  // script's download and parse. A server that does not send application/wasm gets a second
  // fetch compiled from its bytes.
  function compileApp(url) {
    var load = function () {
      return fetch(url, { credentials: 'same-origin' }).then(function (response) {
        if (!response.ok) throw new Error('could not load ' + url + ' (HTTP ' + response.status + ')');
        return response;
      });
    };
    var fromBytes = function (response) { return response.arrayBuffer().then(WebAssembly.compile); };
    var compiled = load().then(function (response) {
      if (!WebAssembly.compileStreaming) return fromBytes(response);
      return WebAssembly.compileStreaming(response).catch(function () { return load().then(fromBytes); });
    });
    compiled.then(function () { mark('cfdm-code-compiled'); }, function () { /* reported once the app's script asks for it */ });
    return compiled;
  }

  // The GL state the UI's renderer (Dear ImGui's OpenGL backend) reads back every frame to restore
  // it afterwards: the viewport, the scissor box and the blend functions and equations. In
  // Chromium each such read is a round trip that waits until the GPU process has carried out every
  // command before it: with a software renderer, up to a tenth of a second a frame (measured),
  // spent waiting rather than preparing the next frame. The canvas's context keeps its own copy
  // of these values, written where they are set, and answers the reads from it. A value is kept
  // only when the call cannot have been refused (otherwise the next read asks the GPU process).
  // A new or restored context holds the defaults of the WebGL specification: the viewport and
  // scissor box are the drawing buffer, blending is ONE, ZERO and FUNC_ADD.
  var kViewport = 0x0BA2, kScissorBox = 0x0C10, kBlendSrcRgb = 0x80C9, kBlendDstRgb = 0x80C8,
    kBlendSrcAlpha = 0x80CB, kBlendDstAlpha = 0x80CA, kBlendEquationRgb = 0x8009, kBlendEquationAlpha = 0x883D;
  // ZERO, ONE, SRC_COLOR ... ONE_MINUS_DST_COLOR (the constant-colour factors, which WebGL refuses
  // in some pairs, and SRC_ALPHA_SATURATE are read back from the GPU process)
  var kBlendFactors = [0, 1, 0x300, 0x301, 0x302, 0x303, 0x304, 0x305, 0x306, 0x307];
  var kBlendEquations = [0x8006, 0x8007, 0x8008, 0x800A, 0x800B];  // FUNC_ADD, MIN, MAX, FUNC_(REVERSE_)SUBTRACT
  function keepGlState(canvas) {
    var original = canvas.getContext;
    var kept = null;
    canvas.getContext = function (type, attributes) {
      var gl = original.call(canvas, type, attributes);
      if (!gl || type !== 'webgl2' || kept === gl) return gl;
      kept = gl;
      var state = {};
      var maxViewport = null;
      var defaults = function () {
        var size = [0, 0, gl.drawingBufferWidth, gl.drawingBufferHeight];
        state[kViewport] = size, state[kScissorBox] = size.slice();
        state[kBlendSrcRgb] = state[kBlendSrcAlpha] = 1;  // ONE
        state[kBlendDstRgb] = state[kBlendDstAlpha] = 0;  // ZERO
        state[kBlendEquationRgb] = state[kBlendEquationAlpha] = 0x8006;  // FUNC_ADD
      };
      defaults();
      canvas.addEventListener('webglcontextrestored', defaults);
      var keep = function (names, values, valid) {
        for (var i = 0; i < names.length; ++i) {
          if (valid) state[names[i]] = values[i];
          else delete state[names[i]];
        }
      };
      var box = function (x, y, width, height, most) {
        var values = [x | 0, y | 0, width | 0, height | 0];
        var valid = values[2] >= 0 && values[3] >= 0 && (!most || (values[2] <= most[0] && values[3] <= most[1]));
        return { values: values, valid: valid };
      };
      var getParameter = gl.getParameter, viewport = gl.viewport, scissor = gl.scissor, blendFunc = gl.blendFunc,
        blendFuncSeparate = gl.blendFuncSeparate, blendEquation = gl.blendEquation,
        blendEquationSeparate = gl.blendEquationSeparate;
      gl.getParameter = function (name) {
        var value = state[name];
        if (value === undefined) return getParameter.call(gl, name);
        return typeof value === 'number' ? value : new Int32Array(value);
      };
      gl.viewport = function (x, y, width, height) {
        viewport.call(gl, x, y, width, height);
        if (!maxViewport) maxViewport = getParameter.call(gl, 0x0D3A);  // MAX_VIEWPORT_DIMS: a constant, asked once
        var b = box(x, y, width, height, maxViewport || [0, 0]);
        keep([kViewport], [b.values], b.valid);
      };
      gl.scissor = function (x, y, width, height) {
        scissor.call(gl, x, y, width, height);
        var b = box(x, y, width, height, null);
        keep([kScissorBox], [b.values], b.valid);
      };
      var factors = function (list) {
        return list.every(function (f) { return kBlendFactors.indexOf(f) >= 0; });
      };
      gl.blendFunc = function (source, destination) {
        blendFunc.call(gl, source, destination);
        keep([kBlendSrcRgb, kBlendSrcAlpha, kBlendDstRgb, kBlendDstAlpha], [source, source, destination, destination],
             factors([source, destination]));
      };
      gl.blendFuncSeparate = function (sourceRgb, destinationRgb, sourceAlpha, destinationAlpha) {
        blendFuncSeparate.call(gl, sourceRgb, destinationRgb, sourceAlpha, destinationAlpha);
        keep([kBlendSrcRgb, kBlendDstRgb, kBlendSrcAlpha, kBlendDstAlpha],
             [sourceRgb, destinationRgb, sourceAlpha, destinationAlpha],
             factors([sourceRgb, destinationRgb, sourceAlpha, destinationAlpha]));
      };
      gl.blendEquation = function (mode) {
        blendEquation.call(gl, mode);
        keep([kBlendEquationRgb, kBlendEquationAlpha], [mode, mode], kBlendEquations.indexOf(mode) >= 0);
      };
      gl.blendEquationSeparate = function (modeRgb, modeAlpha) {
        blendEquationSeparate.call(gl, modeRgb, modeAlpha);
        keep([kBlendEquationRgb, kBlendEquationAlpha], [modeRgb, modeAlpha],
             kBlendEquations.indexOf(modeRgb) >= 0 && kBlendEquations.indexOf(modeAlpha) >= 0);
      };
      return gl;
    };
  }

  // Starts the chosen build: options.canvas, and options.onReady(build).
  window.cfdmLoader = {
    build: build,         // once started, the build that runs
    fallback: '',         // once started: why the single-thread build runs where threads were possible
    memoryCap: 0,         // once started: the threaded build's smaller memory, in bytes (0: its maximum)
    start: function (options) {
      if (started) return;
      started = true;
      if (isolateWithServiceWorker()) return;  // the page reloads isolated
      chooseSharedMemory();
      window.cfdmLoader.build = build, window.cfdmLoader.fallback = fallback, window.cfdmLoader.memoryCap = memoryCap;
      mark('cfdm-start');
      if (options.canvas) keepGlState(options.canvas);
      var compiled = compileApp(build + '/cfdm_app.wasm');
      window.Module = {
        canvas: options.canvas,
        wasmMemory: build === 'threads' && sharedMemory ? sharedMemory : undefined,
        INITIAL_MEMORY: build === 'threads' && sharedMemory ? kInitialMemory : undefined,
        // A small device (2 GB or less, or a browser that refused 2 GB of shared memory): the
        // app is told a cap of 512 MB, within which it sizes its defaults (one class of MNIST).
        cfdmMemoryCap: build === 'threads' && memoryCap ? memoryCap
          : memoryTight || fallback ? 512 * 1024 * 1024 : 0,
        locateFile: function (path) { return build + '/' + path; },
        instantiateWasm: function (imports, receiveInstance) {
          compiled.then(function (module) {
            return WebAssembly.instantiate(module, imports).then(function (instance) { receiveInstance(instance, module); });
          }).catch(function (error) {
            var message = 'the app could not start: ' + String(error && error.message || error).slice(0, 200);
            if (options.onError) options.onError(message);
            post({ type: 'cfdm:error', message: message });
          });
          return {};  // (the exports arrive through receiveInstance)
        },
        print: function (text) { console.log(text); },
        printErr: function (text) { console.warn(text); },
        onRuntimeInitialized: function () {
          mark('cfdm-runtime-ready');
          runtimeReady = true;
          acceptDrops();
          if (options.onReady) options.onReady(build);
          post({ type: 'cfdm:ready', build: build });
          watch();
        },
      };
      // An image dataset named in the address is fetched while the app loads (a known name only).
      var named = datasetFilesOfLink(query);
      if (named) startDatasetFetch(named);
      var script = document.createElement('script');
      script.src = build + '/cfdm_app.js';
      script.onerror = function () { if (options.onError) options.onError('could not load ' + script.src); };
      document.body.appendChild(script);
    },
  };
})();
