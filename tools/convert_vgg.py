#!/usr/bin/env python3
"""Converts VGG weights into the safetensors file the engine's perceptual loss loads.

  tools/convert_vgg.py IN OUT [--deepest relu3_3]

IN is one of
  * a torchvision vgg16/vgg19 state dict (the model-zoo .pth files, e.g.
    vgg16-397923af.pth) or a whole torchvision VGG model saved with torch.save;
  * the "normalised" VGG-19 of Gatys et al. as a PyTorch state dict of an
    nn.Sequential (keys 0.* = a 1x1 Caffe preprocessing conv, then 2.* 5.* 9.*
    12.* 16.* ... = conv1_1, conv1_2, conv2_1, ...).
OUT gets the convolutions under torchvision's names (features.N.weight /
features.N.bias, float32) and, in __metadata__:
  format "dae-vgg", arch (vgg16 | vgg19), input_norm (imagenet | caffe),
  deepest (the deepest ReLU present), source_sha256, source_name, and
  activation_checksum: statistics of every ReLU's output on a fixed input,
  which the engine recomputes on load; it refuses a file whose activations
  do not match (so silently wrong weights cannot train).
The classifier (fully connected layers) is dropped.
"""

import argparse
import hashlib
import json
import os
import struct
import sys

import numpy as np
import torch
from torch import nn

CONFIGS = {
    "vgg16": [64, 64, 0, 128, 128, 0, 256, 256, 256, 0, 512, 512, 512, 0, 512, 512, 512, 0],
    "vgg19": [64, 64, 0, 128, 128, 0, 256, 256, 256, 256, 0, 512, 512, 512, 512, 0, 512, 512, 512, 512, 0],
}
CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)


def layers(arch):
    """[(kind, index, name, out_channels)] in torchvision's numbering."""
    out, block, k, ch = [], 1, 1, 3
    for v in CONFIGS[arch]:
        if v == 0:
            out.append(("pool", len(out), f"pool{block}", ch))
            block, k = block + 1, 1
        else:
            ch = v
            out.append(("conv", len(out), f"conv{block}_{k}", ch))
            out.append(("relu", len(out), f"relu{block}_{k}", ch))
            k += 1
    return out


def fail(message):
    print(f"convert_vgg: error: {message}", file=sys.stderr)
    sys.exit(1)


def read_state_dict(path):
    try:
        obj = torch.load(path, map_location="cpu")
    except Exception as e:  # noqa: BLE001 - any unreadable file is the same error for the user
        fail(f"cannot read '{path}' as a PyTorch file: {e}")
    if isinstance(obj, nn.Module):
        obj = obj.state_dict()
    if not isinstance(obj, dict):
        fail(f"'{path}' holds a {type(obj).__name__}, not a state dict or a model")
    return {k: v for k, v in obj.items() if torch.is_tensor(v)}


def is_caffe_map(weight, bias):
    """The 1x1 conv that maps RGB in [0,1] to BGR x 255 minus the BGR mean."""
    expected_w = torch.zeros(3, 3, 1, 1)
    for out_c in range(3):
        expected_w[out_c, 2 - out_c, 0, 0] = 255.0
    return (weight.shape == (3, 3, 1, 1) and torch.allclose(weight.float(), expected_w, atol=1e-3)
            and torch.allclose(bias.float(), -torch.tensor(CAFFE_MEAN_BGR), atol=1e-3))


def convert(sd, path):
    """-> (arch, input_norm, {features.N.weight/bias: tensor})."""
    if any(k.startswith("features.") for k in sd):
        convs = sorted({int(k.split(".")[1]) for k in sd if k.startswith("features.")})
        for arch in ("vgg16", "vgg19"):
            conv_indices = [i for kind, i, _, _ in layers(arch) if kind == "conv"]
            if convs == conv_indices[: len(convs)]:
                break
        else:
            fail(f"'{path}': conv indices {convs} match neither torchvision vgg16 nor vgg19")
        out = {f"features.{i}.{p}": sd[f"features.{i}.{p}"] for i in convs for p in ("weight", "bias")}
        return arch, "imagenet", out
    # The normalised VGG-19: an nn.Sequential with the 1x1 preprocessing conv first.
    try:
        seq = sorted({int(k.split(".")[0]) for k in sd})
    except ValueError:
        fail(f"'{path}': neither torchvision names (features.N.*) nor an nn.Sequential's (N.*)")
    if not seq or sd.get(f"{seq[0]}.weight") is None or tuple(sd[f"{seq[0]}.weight"].shape) != (3, 3, 1, 1):
        fail(f"'{path}': the first layer is not the 1x1 preprocessing conv of the normalised VGG")
    if not is_caffe_map(sd[f"{seq[0]}.weight"], sd[f"{seq[0]}.bias"]):
        fail(f"'{path}': the 1x1 preprocessing conv is not the Caffe map (RGB->BGR, x255, minus the BGR mean)")
    convs = [i for i in seq[1:]]
    conv_indices = [i for kind, i, _, _ in layers("vgg19") if kind == "conv"]
    if len(convs) > len(conv_indices):
        fail(f"'{path}': {len(convs)} convolutions, more than VGG-19 has")
    out = {}
    for src, dst in zip(convs, conv_indices):
        w, b = sd[f"{src}.weight"], sd[f"{src}.bias"]
        want_in = 3 if dst == 0 else None
        if w.dim() != 4 or w.shape[2:] != (3, 3) or (want_in and w.shape[1] != want_in):
            fail(f"'{path}': layer {src} has shape {tuple(w.shape)}, not a VGG 3x3 conv")
        out[f"features.{dst}.weight"], out[f"features.{dst}.bias"] = w, b
    return "vgg19", "caffe", out


def build(arch, weights, deepest_index):
    """The feature extractor the engine runs: zero-padded 3x3 convs, ReLU, floor 2x2 max-pool."""
    mods = []
    for kind, i, _, ch in layers(arch)[: deepest_index + 1]:
        if kind == "conv":
            w = weights[f"features.{i}.weight"]
            conv = nn.Conv2d(w.shape[1], w.shape[0], 3, padding=1)
            conv.weight.data.copy_(w.float())
            conv.bias.data.copy_(weights[f"features.{i}.bias"].float())
            mods.append(conv)
        elif kind == "relu":
            mods.append(nn.ReLU())
        else:
            mods.append(nn.MaxPool2d(2, 2))
    return nn.Sequential(*mods).eval()


def normalise(x, input_norm):
    """Images in [0, 1], [N, 1 or 3, H, W] -> the network input."""
    if x.shape[1] == 1:
        x = x.repeat(1, 3, 1, 1)
    if input_norm == "imagenet":
        mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
        std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
        return (x - mean) / std
    return x[:, [2, 1, 0]] * 255.0 - torch.tensor(CAFFE_MEAN_BGR).view(1, 3, 1, 1)


def check_input():
    """The fixed input of the checksum (engine: models/vgg.cpp): ((131c + 31y + 17x) mod 256) / 255."""
    c, y, x = np.meshgrid(np.arange(3), np.arange(32), np.arange(32), indexing="ij")
    return torch.from_numpy(((131 * c + 31 * y + 17 * x) % 256).astype(np.float32) / np.float32(255.0))[None]


def check_signs(n, k):
    i = np.arange(n, dtype=np.uint64)
    h = (i * np.uint64(2654435761) + np.uint64(k * 40503)) & np.uint64(0xFFFFFFFF)
    return np.where((h >> np.uint64(15)) & np.uint64(1), 1.0, -1.0)


def activation_checksum(arch, input_norm, weights, deepest_index):
    net = build(arch, weights, deepest_index)
    stats = {}
    with torch.no_grad():
        h = normalise(check_input(), input_norm)
        for (kind, _, name, _), mod in zip(layers(arch), net):
            h = mod(h)
            if kind == "relu":
                a = h.double().numpy().ravel()
                stats[name] = [a.mean(), np.sqrt((a * a).mean()), (a * check_signs(a.size, 1)).mean(),
                               (a * check_signs(a.size, 2)).mean()]
    return {"input": "1x3x32x32, ((131 c + 31 y + 17 x) mod 256) / 255", "layers": stats}


def write_safetensors(path, tensors, metadata):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        data = np.ascontiguousarray(t.detach().cpu().float().numpy()).astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("input", help="torchvision vgg16/vgg19 state dict or model, or the normalised VGG-19 .pth")
    ap.add_argument("output", help="the safetensors file to write")
    ap.add_argument("--deepest", default="", help="keep the layers up to this ReLU only (default: all present)")
    args = ap.parse_args()

    with open(args.input, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    arch, input_norm, weights = convert(read_state_dict(args.input), args.input)
    present = [(i, name) for kind, i, name, _ in layers(arch)
               if kind == "relu" and f"features.{i - 1}.weight" in weights]
    deepest_index, deepest = present[-1]
    if args.deepest:
        match = [(i, n) for i, n in present if n == args.deepest]
        if not match:
            fail(f"--deepest {args.deepest}: not among the layers present ({' '.join(n for _, n in present)})")
        deepest_index, deepest = match[0]
        weights = {k: v for k, v in weights.items() if int(k.split(".")[1]) < deepest_index}
    meta = {
        "format": "dae-vgg",
        "arch": arch,
        "input_norm": input_norm,
        "deepest": deepest,
        "source_sha256": sha,
        "source_name": os.path.basename(args.input),
        "activation_checksum": json.dumps(activation_checksum(arch, input_norm, weights, deepest_index)),
    }
    write_safetensors(args.output, weights, meta)
    print(f"wrote {args.output}: {arch}, input {input_norm}, layers up to {deepest} "
          f"({len(weights) // 2} convolutions), source sha256 {sha[:16]}...")


if __name__ == "__main__":
    main()
