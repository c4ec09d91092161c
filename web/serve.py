#!/usr/bin/env python3
"""Serves the web build on localhost with the headers WebAssembly threads need.

usage: serve.py [--port 8000] [--dir DIR] [--no-isolation]

Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp make the
page cross-origin isolated, which is what gives it SharedArrayBuffer (pthreads).
--no-isolation leaves them out (to see how a page behaves without them).
"""
import argparse
import functools
import http.server
import os


class Handler(http.server.SimpleHTTPRequestHandler):
    isolation = True
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".wasm": "application/wasm", ".js": "text/javascript"}

    def log_message(self, format, *args):  # quiet: one line at start is enough
        pass

    def end_headers(self):
        if self.isolation:
            self.send_header("Cross-Origin-Opener-Policy", "same-origin")
            self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--dir", default=os.path.dirname(os.path.abspath(__file__)))
    parser.add_argument("--no-isolation", action="store_true")
    args = parser.parse_args()
    Handler.isolation = not args.no_isolation
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), functools.partial(Handler, directory=args.dir))
    print(f"cfdm: serving {args.dir} at http://127.0.0.1:{args.port}/ "
          f"({'cross-origin isolated' if Handler.isolation else 'without isolation headers'}); Ctrl-C stops",
          flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
