"""PSNR and SSIM of `dae compare` against scikit-image (evaluation issue).

scikit-image's peak_signal_noise_ratio(data_range=1) and
structural_similarity(gaussian_weights=True, sigma=1.5,
use_sample_covariance=False, data_range=1, channel_axis=-1) on random and
real images (gray and RGB, several sizes); both must agree within 1e-4.

  metrics_parity.py --dae PATH/TO/dae --workdir DIR [--image docs/images/chelsea.png]
"""

import argparse
import os
import subprocess
import sys

import numpy as np

try:
    import skimage.io
    from skimage.metrics import peak_signal_noise_ratio, structural_similarity
except ImportError:
    print("SKIP: scikit-image is not installed (Debian: python3-skimage)")
    sys.exit(77)

TOL = 1e-4


def dae_compare(dae, a, b):
    out = subprocess.run([dae, "compare", "--a", a, "--b", b], check=True, capture_output=True, text=True).stdout
    return {k: float(v) for k, v in (line.split() for line in out.splitlines())}


def reference(a, b):
    a, b = a.astype(np.float64) / 255.0, b.astype(np.float64) / 255.0
    kw = dict(gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1.0)
    if a.ndim == 3:
        kw["channel_axis"] = -1
    return peak_signal_noise_ratio(a, b, data_range=1.0), structural_similarity(a, b, **kw)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dae", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--image", default=None)
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    rng = np.random.default_rng(2)
    pairs = []
    for shape in [(11, 11), (28, 28), (37, 50), (24, 31, 3), (64, 64, 3)]:
        a = rng.integers(0, 256, shape, dtype=np.uint8)
        noise = rng.normal(0, 30, shape)
        b = np.clip(a + noise, 0, 255).astype(np.uint8)
        pairs.append((f"random {shape}", a, b))
        pairs.append((f"unrelated random {shape}", a, rng.integers(0, 256, shape, dtype=np.uint8)))
    if args.image and os.path.isfile(args.image):
        real = skimage.io.imread(args.image)[..., :3]
        noisy = np.clip(real + rng.normal(0, 20, real.shape), 0, 255).astype(np.uint8)
        pairs.append(("real photo, rgb", real, noisy))
        gray = (real.mean(axis=2)).astype(np.uint8)
        blurred = ((gray[:-1, :-1].astype(np.int32) + gray[1:, 1:]) // 2).astype(np.uint8)
        pairs.append(("real photo, gray vs shifted blur", gray[:-1, :-1], blurred))
    failures = 0
    for label, a, b in pairs:
        pa, pb = os.path.join(args.workdir, "a.png"), os.path.join(args.workdir, "b.png")
        skimage.io.imsave(pa, a, check_contrast=False)
        skimage.io.imsave(pb, b, check_contrast=False)
        ours = dae_compare(args.dae, pa, pb)
        psnr, ssim = reference(a, b)
        ok = abs(ours["psnr"] - psnr) < TOL and abs(ours["ssim"] - ssim) < TOL
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {label}: psnr {ours['psnr']:.6f} vs {psnr:.6f}, "
              f"ssim {ours['ssim']:.6f} vs {ssim:.6f}")
    print(f"{failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
