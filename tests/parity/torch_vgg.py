"""The perceptual loss computed in PyTorch with torchvision's VGG, for parity tests.

Weights come from a file converted by tools/convert_vgg.py (read with
tests/python/safetensors_io.py); the network is torchvision's own
vgg16().features / vgg19().features, cut after the deepest layer asked for.
"""

import json
import os
import sys

import torch
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import safetensors_io  # noqa: E402

RELU_INDEX = {}
for _arch, _cfg in {"vgg16": [2, 2, 3, 3, 3], "vgg19": [2, 2, 4, 4, 4]}.items():
    i, table = 0, {}
    for block, convs in enumerate(_cfg, start=1):
        for k in range(1, convs + 1):
            table[f"relu{block}_{k}"] = i + 1
            i += 2
        i += 1  # the pool
    RELU_INDEX[_arch] = table


class TorchVgg:
    def __init__(self, path, deepest=None):
        tensors, meta = safetensors_io.load(path)
        self.arch, self.norm = meta["arch"], meta["input_norm"]
        full = getattr(torchvision.models, self.arch)().features
        last = RELU_INDEX[self.arch][deepest or meta["deepest"]]
        self.features = full[: last + 1].eval()
        for name, value in tensors.items():
            _, index, param = name.split(".")
            if int(index) <= last:
                getattr(self.features[int(index)], param).data.copy_(torch.from_numpy(value))
        for p in self.features.parameters():
            p.requires_grad_(False)

    def normalise(self, x):
        if x.shape[1] == 1:
            x = x.repeat(1, 3, 1, 1)
        if self.norm == "imagenet":
            mean = torch.tensor([0.485, 0.456, 0.406], dtype=x.dtype).view(1, 3, 1, 1)
            std = torch.tensor([0.229, 0.224, 0.225], dtype=x.dtype).view(1, 3, 1, 1)
            return (x - mean) / std
        bgr_mean = torch.tensor([103.939, 116.779, 123.68], dtype=x.dtype).view(1, 3, 1, 1)
        return x[:, [2, 1, 0]] * 255.0 - bgr_mean

    def taps(self, x, layers):
        want = {RELU_INDEX[self.arch][n]: n for n in layers}
        out, h = {}, self.normalise(x)
        for i, module in enumerate(self.features):
            h = module(h)
            if i in want:
                out[want[i]] = h
            if i >= max(want):
                break
        return out

    def loss(self, output, clean, layers, weights, mask=None, alpha=1.0, beta=1.0):
        """(total, {layer: unweighted term}) as SPEC §5 defines them, batch averaged."""
        fo = self.taps(output, layers)
        with torch.no_grad():
            fc = self.taps(clean, layers)
        total, terms = 0.0, {}
        for name, w in zip(layers, weights):
            d2 = (fo[name] - fc[name]) ** 2
            if mask is not None:
                factor = output.shape[2] // fo[name].shape[2]
                m = torch.nn.functional.avg_pool2d(mask.mean(1, keepdim=True), factor)
                m = m[:, :, : d2.shape[2], : d2.shape[3]]
                d2 = d2 * (alpha * m + beta * (1 - m))
            c, h, wd = d2.shape[1:]
            term = d2.sum() / (c * h * wd) / output.shape[0]
            terms[name] = term
            total = total + w * term
        return total, terms
