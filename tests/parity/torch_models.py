"""PyTorch twins of the engine's reference models (SPEC §2), for parity tests.

The module and parameter names equal the engine's, so state dicts move
between the two unchanged.
"""

import gzip
import os

import numpy as np
import torch
from torch import nn

PRESETS = {"dae-mnist": (1, (32, 64, 64)), "dae-rgb": (3, (64, 128, 128))}


class DenoisingAutoencoder(nn.Module):
    def __init__(self, preset="dae-mnist"):
        super().__init__()
        c, (w0, w1, w2) = PRESETS[preset]
        self.encoder = nn.Sequential(
            nn.Conv2d(c, w0, 3, stride=1, padding=1), nn.ReLU(),
            nn.Conv2d(w0, w1, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(w1, w2, 3, stride=2, padding=1), nn.ReLU())
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(w2, w2, 4, stride=2, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(w2, w0, 4, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(w0, c, 3, stride=1, padding=1), nn.Sigmoid())

    def forward(self, x):
        return self.decoder(self.encoder(x))


def fashion_mnist_dir():
    """The folder with the Fashion-MNIST IDX files, as the engine finds it, or None."""
    candidates = []
    if os.environ.get("DAE_DATASETS"):
        candidates.append(os.path.join(os.environ["DAE_DATASETS"], "fashion-mnist"))
    candidates.append("/usr/share/datasets/fashion-mnist")
    for d in candidates:
        for name in ("train-images-idx3-ubyte.gz", "train-images-idx3-ubyte"):
            if os.path.isfile(os.path.join(d, name)):
                return d
    return None


def load_idx_images(path, limit=None):
    """[N, 1, H, W] float32 in [0, 1] from an IDX image file (gzipped or not)."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    assert raw[0] == 0 and raw[1] == 0 and raw[2] == 8 and raw[3] == 3, "not an IDX ubyte image file"
    n, h, w = (int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(3))
    if limit is not None:
        n = min(n, limit)
    data = np.frombuffer(raw, dtype=np.uint8, count=n * h * w, offset=16)
    return data.reshape(n, 1, h, w).astype(np.float32) / np.float32(255.0)


def fashion_mnist_train(limit):
    d = fashion_mnist_dir()
    if d is None:
        return None
    for name in ("train-images-idx3-ubyte.gz", "train-images-idx3-ubyte"):
        p = os.path.join(d, name)
        if os.path.isfile(p):
            return load_idx_images(p, limit)
    return None
