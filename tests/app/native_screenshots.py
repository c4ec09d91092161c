#!/usr/bin/env python3
"""The desktop app (SDL2 + OpenGL) in a real window under Xvfb: screenshots of the story as a user
sees it, checked by their pixels, and its options' errors.

usage: native_screenshots.py CFDM_APP SCREENSHOT_DIR DATA_DIR

Each run is `cfdm_app --state QUERY --screenshot PATH` (the app writes the window once the run is
done and shown, then quits). The PNGs are decoded here (zlib and the PNG filters, by hand) and
counted: copies are red, new points green, training points dark rings, as the legend says.
"""
import os
import struct
import subprocess
import sys
import zlib

failures = []


def check(name, ok, detail=''):
    print(('ok    ' if ok else 'FAIL  ') + name + ('' if ok else ': ' + str(detail)))
    if not ok:
        failures.append(name)


def read_png(path):
    """(width, height, rows of RGB bytes) of an 8-bit RGB or RGBA PNG."""
    data = open(path, 'rb').read()
    assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
    at, idat, width, height, channels = 8, b'', 0, 0, 3
    while at < len(data):
        length, kind = struct.unpack('>I4s', data[at:at + 8])
        body = data[at + 8:at + 8 + length]
        if kind == b'IHDR':
            width, height, depth, color = struct.unpack('>IIBB', body[:10])
            assert depth == 8 and color in (2, 6), 'not 8-bit RGB'
            channels = 3 if color == 2 else 4
        elif kind == b'IDAT':
            idat += body
        at += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = previous[i]
            c = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line) if channels == 3 else bytes(v for i, v in enumerate(line) if i % 4 != 3))
        previous = line
    return width, height, rows


def colour_counts(path, left_fraction):
    """Pixels right of left_fraction of the width that are red (copies), green (new), dark (rings)."""
    width, height, rows = read_png(path)
    red = green = dark = 0
    for row in rows[::2]:
        for x in range(int(width * left_fraction), width, 2):
            r, g, b = row[3 * x], row[3 * x + 1], row[3 * x + 2]
            if r > 150 and g < 110 and b < 110:
                red += 1
            elif g > r + 40 and g > b + 20:
                green += 1
            elif r < 140 and g < 140 and b < 150 and abs(r - g) < 30:
                dark += 1
    return width, height, red, green, dark


def run(app, args, timeout=360):
    return subprocess.run(['xvfb-run', '-a', '-s', '-screen 0 3840x2160x24', app] + args, capture_output=True,
                          text=True, timeout=timeout)


def main():
    app, shots, data_dir = sys.argv[1], sys.argv[2], sys.argv[3]
    os.makedirs(shots, exist_ok=True)
    env_note = ''
    # The first story preset: sigma = 0 memorizes (samples red, inside the training points' rings).
    path = os.path.join(shots, 'native-memorizes.png')
    r = run(app, ['--state', 'dataset=moons&n_train=100&n_samples=2000&steps=100&draws=1&sigma=0&speed=max',
                  '--screenshot', path])
    check('memorizes: the app writes its window once the run is done', r.returncode == 0 and os.path.exists(path),
          r.stderr[-400:])
    if os.path.exists(path):
        w, h, red, green, dark = colour_counts(path, 0.4)
        check('memorizes: 1200 x 800 by default', (w, h) == (1200, 800), (w, h))
        check('memorizes: copies (red) outnumber new points (green), rings drawn', red > 300 and red > 5 * green
              and dark > 150, (red, green, dark))
    # The bunny: new points (green) on the surface, seen through the orbit camera.
    path = os.path.join(shots, 'native-bunny.png')
    r = run(app, ['--state', 'dataset=bunny&n_train=2000&n_samples=2000&steps=100&draws=4&sigma=0.05&speed=max',
                  '--screenshot', path])
    check('bunny: written', r.returncode == 0 and os.path.exists(path), r.stderr[-400:])
    if os.path.exists(path):
        _, _, red, green, dark = colour_counts(path, 0.4)
        check('bunny: new points (green) outnumber copies (red)', green > 300 and green > 2 * red, (red, green, dark))
    # A 4K window with the UI at twice the size (a 4K monitor): MNIST beside its nearest images.
    if os.path.exists(os.path.join(data_dir, 'mnist-images.idx')):
        path = os.path.join(shots, 'native-4k-mnist.png')
        r = run(app, ['--size', '3840x2160', '--scale', '2', '--state',
                      'dataset=mnist&n_train=2000&n_samples=36&steps=50&draws=4&sigma=0.5&start_t=0.3&classes=3'
                      '&speed=max', '--screenshot', path])
        check('4K: written', r.returncode == 0 and os.path.exists(path), r.stderr[-400:])
        if os.path.exists(path):
            w, h, red, green, dark = colour_counts(path, 0.25)
            check('4K: 3840 x 2160', (w, h) == (3840, 2160), (w, h))
            check('4K: tiles framed red (copies) and green (new), digits drawn', red > 2000 and green > 2000
                  and dark > 20000, (red, green, dark))
    else:
        env_note = ' (MNIST not prepared: no 4K MNIST screenshot)'
    # A run that stops with an error: the window (its message in it) is written all the same, and the
    # app quits with status 1 and the message on stderr (not after 5 minutes of waiting).
    path = os.path.join(shots, 'native-refused-sigma.png')
    r = run(app, ['--state', 'dataset=moons&sigma=5000&draws=2', '--size', '900x600', '--screenshot', path], timeout=120)
    check('an error: the window is written, status 1, the message on stderr',
          r.returncode == 1 and os.path.exists(path) and "times the training data's radius" in r.stderr,
          (r.returncode, r.stderr[-400:]))
    # Options: wrong values are named with the fix, exit 2, no file.
    for args, fragment in [(['--size', '10x10'], 'WIDTHxHEIGHT'), (['--scale', 'big'], 'number from 1 to 4'),
                           (['--screenshot', os.path.join(shots, 'x.jpg')], 'must end in .png'),
                           (['--frobnicate'], 'usage: cfdm_app')]:
        r = subprocess.run([app] + args, capture_output=True, text=True, timeout=30)
        check('options: %s is refused' % ' '.join(args), r.returncode == 2 and fragment in r.stderr, r.stderr)
    check('options: no file for a refused screenshot', not os.path.exists(os.path.join(shots, 'x.jpg')))
    print('%d failed%s' % (len(failures), env_note))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
