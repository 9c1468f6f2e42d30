"""report.html opens in headless Chromium and shows the curves and the grids.

Trains a few steps on synthetic data, then renders the report with
`chromium --headless`: the DOM must hold an SVG chart per loss term with a
curve of one point per logged step, and the sample grids as embedded PNGs
(that decode, with the right size); a screenshot must not be blank. The page
has no scripts and loads nothing from outside.

  test_report.py PATH/TO/dae WORKDIR     (exit 77 when chromium is not installed)
"""

import base64
import os
import re
import shutil
import struct
import subprocess
import sys
import zlib

DAE, WORK = sys.argv[1], sys.argv[2]


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def main():
    browser = chromium()
    if browser is None:
        print("SKIP: chromium is not installed (Debian: chromium)")
        return 77
    shutil.rmtree(WORK, ignore_errors=True)
    out = os.path.join(WORK, "run")
    subprocess.run([DAE, "train", "--data", "synthetic", "--limit", "128", "--batch", "16", "--steps", "12",
                    "--log-every", "2", "--eval-limit", "16", "--threads", "2", "--out", out], check=True,
                   capture_output=True)
    report = os.path.join(out, "report.html")
    html = open(report, encoding="utf-8").read()
    failures = []
    if "<script" in html or re.search(r'(src|href)="(?!data:)', html):
        failures.append("the report has a script or an external reference")

    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files"]
    dom = subprocess.run([browser, *flags, "--dump-dom", "file://" + os.path.abspath(report)],
                         capture_output=True, text=True, timeout=120)
    if dom.returncode != 0 or "<svg" not in dom.stdout:
        failures.append(f"chromium could not render the page (exit {dom.returncode}): {dom.stderr[-500:]}")
    curves = re.findall(r'<polyline class="curve" points="([^"]*)"', dom.stdout)
    logged = sum(1 for _ in open(os.path.join(out, "metrics.jsonl")))
    if len(curves) < 2:  # total and pixel term
        failures.append(f"{len(curves)} loss curves in the DOM, expected at least 2")
    for c in curves:
        points = c.split()
        if len(points) != logged:
            failures.append(f"a curve has {len(points)} points for {logged} logged steps")
    images = re.findall(r'<img class="grid"[^>]*src="data:image/png;base64,([^"]+)"', dom.stdout)
    if len(images) != 2:
        failures.append(f"{len(images)} sample grids, expected 2 (before and after)")
    for data in images:
        w, h = png_size(base64.b64decode(data))
        if (w, h) != (3 * 28 + 8, 8 * 28 + 18):  # 3 columns, 8 rows of 28x28 with 2-pixel gaps
            failures.append(f"a sample grid is {w}x{h}")
    shot = os.path.join(WORK, "report.png")
    subprocess.run([browser, *flags, f"--screenshot={shot}", "--window-size=1200,1600",
                    "file://" + os.path.abspath(report)], capture_output=True, timeout=120)
    if not os.path.isfile(shot):
        failures.append("no screenshot")
    else:
        # A rendered page has many distinct colours; a blank one has one.
        raw = open(shot, "rb").read()
        idat = b"".join(raw[i + 8:i + 8 + struct.unpack(">I", raw[i:i + 4])[0]]
                        for i in [m.start() - 4 for m in re.finditer(b"IDAT", raw)])
        pixels = zlib.decompress(idat)
        if len(set(pixels[::97])) < 8:
            failures.append("the screenshot looks blank")
    for f in failures:
        print("FAIL", f)
    print(f"report: {len(curves)} curves, {len(images)} grids; {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
