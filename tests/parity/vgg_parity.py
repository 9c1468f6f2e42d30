"""VGG features and the perceptual loss against torchvision (perceptual-loss issue).

1. Random torchvision VGG16 weights, converted by tools/convert_vgg.py: the
   engine's features at every tap (relu1_2 ... relu5_3), the loss and its
   gradient w.r.t. the output image agree with torchvision (max relative
   error under 1e-4), with and without --perc-mask, for RGB and gray input.
2. The normalised VGG-19 of ../shared/data: the converted weights reproduce
   the original PyTorch module's features, its 1x1 preprocessing included
   (zero padding, SPEC §7), within 1e-4.
3. A converted file whose weights were altered afterwards is refused.

  vgg_parity.py --driver vgg_driver --convert tools/convert_vgg.py --workdir DIR
                [--device cpu|cuda] [--shared-data DIR]
"""

import argparse
import os
import struct
import subprocess
import sys

import numpy as np
import torch
import torchvision
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import safetensors_io  # noqa: E402
from torch_vgg import TorchVgg  # noqa: E402

RTOL = 1e-4
FAILURES = []


def rel_err(ours, ref):
    """Max element-wise relative error |a - b| / max(|b|, rms(b)).

    Entries far below the tensor's RMS (a ReLU output just above 0, the sum of
    terms that cancel) are measured against the RMS: their float32 rounding
    error is set by the size of the terms, not by the tiny result, and no
    float32 implementation (PyTorch's included) is relatively exact there.
    """
    ours, ref = np.asarray(ours, np.float64), np.asarray(ref, np.float64)
    floor = max(np.sqrt((ref ** 2).mean()), 1e-30)
    return float((np.abs(ours - ref) / np.maximum(np.abs(ref), floor)).max())


def check(label, ours, ref, tol=RTOL):
    err = rel_err(ours, ref)
    ok = err < tol
    print(f"{'ok  ' if ok else 'FAIL'} {label}: max rel err {err:.2e}")
    if not ok:
        FAILURES.append(label)


def run_driver(args, vgg, inputs, layers, weights, extra=()):
    src = os.path.join(args.workdir, "in.safetensors")
    dst = os.path.join(args.workdir, "out.safetensors")
    safetensors_io.save(src, inputs)
    cmd = [args.driver, "--vgg", vgg, "--input", src, "--output", dst, "--layers", ",".join(layers),
           "--weights", ",".join(str(w) for w in weights), "--device", args.device, *extra]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        return None, proc
    return safetensors_io.load(dst)[0], proc


def compare_loss(args, vgg_file, ref, inputs, layers, weights, label, mask_args=None):
    extra = ()
    mask = None
    if mask_args is not None:
        alpha, beta = mask_args
        extra = ("--perc-mask", "--alpha", str(alpha), "--beta", str(beta))
        mask = torch.from_numpy(inputs["mask"])
    ours, proc = run_driver(args, vgg_file, inputs, layers, weights, extra)
    if ours is None:
        print(f"FAIL {label}: driver failed: {proc.stderr.strip()}")
        FAILURES.append(label)
        return
    out = torch.from_numpy(inputs["output"]).double().requires_grad_(True)
    clean = torch.from_numpy(inputs["clean"]).double()
    ref.features.double()
    total, terms = ref.loss(out, clean, layers, weights, mask.double() if mask is not None else None,
                            *(mask_args or (1.0, 1.0)))
    total.backward()
    for name in layers:
        check(f"{label}: features {name}", ours[f"features.{name}"], ref.taps(out.detach(), [name])[name].numpy())
        check(f"{label}: term {name}", ours[f"term.{name}"], terms[name].item())
    check(f"{label}: loss", ours["loss"], total.item())
    check(f"{label}: d loss / d output", ours["grad"], out.grad.numpy())
    ref.features.float()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--driver", required=True)
    ap.add_argument("--convert", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--shared-data", default="")
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    torch.manual_seed(0)
    rng = np.random.default_rng(1)

    # 1. Random torchvision VGG16, converted by the tool.
    pth = os.path.join(args.workdir, "vgg16-random.pth")
    torch.save(torchvision.models.vgg16().state_dict(), pth)
    vgg_file = os.path.join(args.workdir, "vgg16-random.safetensors")
    subprocess.run([sys.executable, args.convert, pth, vgg_file], check=True)
    ref = TorchVgg(vgg_file)
    taps = ["relu1_1", "relu1_2", "relu2_2", "relu3_3", "relu4_3", "relu5_3"]
    rgb = {"output": rng.random((2, 3, 32, 32), dtype=np.float32), "clean": rng.random((2, 3, 32, 32), dtype=np.float32)}
    compare_loss(args, vgg_file, ref, rgb, taps, [1.0, 0.5, 1.0, 2.0, 1.0, 0.25], "vgg16 rgb, every tap")
    gray = {"output": rng.random((3, 1, 28, 28), dtype=np.float32), "clean": rng.random((3, 1, 28, 28), dtype=np.float32),
            "mask": (rng.random((3, 1, 28, 28)) < 0.3).astype(np.float32)}
    compare_loss(args, vgg_file, ref, gray, ["relu1_2", "relu2_2", "relu3_3"], [1.0, 1.0, 1.0], "vgg16 gray 28x28")
    compare_loss(args, vgg_file, ref, gray, ["relu1_2", "relu2_2", "relu3_3"], [1.0, 1.0, 1.0],
                 "vgg16 gray, --perc-mask", mask_args=(1.0, 0.5))

    # 3. Weights altered after conversion: refused.
    tensors, meta = safetensors_io.load(vgg_file)
    tensors["features.5.weight"] = tensors["features.5.weight"] * np.float32(1.02)
    altered = os.path.join(args.workdir, "vgg16-altered.safetensors")
    safetensors_io.save(altered, tensors, meta)
    ours, proc = run_driver(args, altered, rgb, ["relu2_2"], [1.0])
    refused = ours is None and proc.returncode == 3 and "refused" in proc.stderr
    print(f"{'ok  ' if refused else 'FAIL'} altered weights are refused: {proc.stderr.strip()[:160]}")
    if not refused:
        FAILURES.append("refusal")

    # 2. The normalised VGG-19 of the shared test data.
    shared = os.path.join(args.shared_data, "vgg19_normalised_conv1_1-conv3_1.pth") if args.shared_data else ""
    if shared and os.path.isfile(shared):
        converted = os.path.join(args.workdir, "vgg19-normalised.safetensors")
        subprocess.run([sys.executable, args.convert, shared, converted], check=True)
        sd = torch.load(shared, map_location="cpu")
        # The original module: the 1x1 preprocessing conv, then VGG-19 up to relu3_1 with zero padding.
        original = nn.Sequential(
            nn.Conv2d(3, 3, 1), nn.Conv2d(3, 64, 3, padding=1), nn.ReLU(), nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(),
            nn.MaxPool2d(2, 2), nn.Conv2d(64, 128, 3, padding=1), nn.ReLU(), nn.Conv2d(128, 128, 3, padding=1),
            nn.ReLU(), nn.MaxPool2d(2, 2), nn.Conv2d(128, 256, 3, padding=1), nn.ReLU()).double().eval()
        for mod, key in zip([m for m in original if isinstance(m, nn.Conv2d)], ["0", "2", "5", "9", "12", "16"]):
            mod.weight.data.copy_(sd[f"{key}.weight"].double())
            mod.bias.data.copy_(sd[f"{key}.bias"].double())
        names = {2: "relu1_1", 4: "relu1_2", 7: "relu2_1", 9: "relu2_2", 12: "relu3_1"}
        x = {"output": rng.random((2, 3, 40, 36), dtype=np.float32), "clean": rng.random((2, 3, 40, 36), dtype=np.float32)}
        layers = list(names.values())
        ours, proc = run_driver(args, converted, x, layers, [1.0] * len(layers))
        if ours is None:
            print(f"FAIL normalised vgg19: driver failed: {proc.stderr.strip()}")
            FAILURES.append("vgg19 driver")
        else:
            h = torch.from_numpy(x["output"]).double()
            with torch.no_grad():
                for i, mod in enumerate(original):
                    h = mod(h)
                    if i in names:
                        check(f"normalised vgg19 (original module, 1x1 preprocessing): {names[i]}",
                              ours[f"features.{names[i]}"], h.numpy())
    else:
        print("SKIP normalised vgg19: ../shared/data/vgg19_normalised_conv1_1-conv3_1.pth is not present")

    print(f"{len(FAILURES)} failure(s)")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
