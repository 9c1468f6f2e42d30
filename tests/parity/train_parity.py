"""Training parity with PyTorch (foundation issue):

From the same initial weights (written by PyTorch), 10 SGD steps (momentum
0.9, weight decay 1e-4) of dae-mnist on the first 640 Fashion-MNIST training
images, batch 64, no shuffle, no noise, MSE: the loss at every step and the
final weights must match PyTorch within 1e-4 relative.

  train_parity.py --dae PATH/TO/dae [--device cpu|cuda] [--workdir DIR]
                  [--loss mse+perceptual --convert tools/convert_vgg.py --layers relu1_2,relu2_2]

With --loss mse+perceptual (the perceptual-loss issue) the same run adds the
perceptual term on random torchvision VGG16 weights converted by the tool;
PyTorch computes it with torchvision's VGG (tests/parity/torch_vgg.py).

Exits 0 on a match, 1 on a mismatch, 77 when Fashion-MNIST is not installed.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import safetensors_io  # noqa: E402
from torch_models import DenoisingAutoencoder, fashion_mnist_train  # noqa: E402
from torch_vgg import TorchVgg  # noqa: E402

SKIP = 77
STEPS, BATCH, IMAGES = 10, 64, 640
LR, MOMENTUM, WEIGHT_DECAY = 0.1, 0.9, 1e-4
RTOL = 1e-4


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dae", required=True)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--threads", default="2")
    ap.add_argument("--loss", default="mse", choices=["mse", "mse+perceptual"])
    ap.add_argument("--convert", default=None, help="tools/convert_vgg.py (for --loss mse+perceptual)")
    ap.add_argument("--layers", default="relu1_2,relu2_2,relu3_3")
    args = ap.parse_args()

    if args.device.startswith("cuda"):
        info = subprocess.run([args.dae, "info"], capture_output=True, text=True).stdout
        if "cuda_devices 0" in info or "cuda_backend none" in info:
            print("SKIP: no CUDA device (this build or machine has none)")
            return SKIP
    images = fashion_mnist_train(IMAGES)
    if images is None:
        print("SKIP: Fashion-MNIST is not installed (Debian: dataset-fashion-mnist)")
        return SKIP
    torch.set_num_threads(int(args.threads))
    work = args.workdir or tempfile.mkdtemp(prefix="dae-parity-")
    os.makedirs(work, exist_ok=True)

    torch.manual_seed(1234)
    model = DenoisingAutoencoder("dae-mnist")
    init_path = os.path.join(work, "init.safetensors")
    safetensors_io.save(init_path, model.state_dict())

    perceptual_flags, vgg = [], None
    layers = args.layers.split(",")
    if args.loss == "mse+perceptual":
        torch.manual_seed(99)
        import torchvision  # noqa: E402
        pth = os.path.join(work, "vgg16-random.pth")
        torch.save(torchvision.models.vgg16().state_dict(), pth)
        vgg_file = os.path.join(work, "vgg16-random.safetensors")
        subprocess.run([sys.executable, args.convert, pth, vgg_file, "--deepest", "relu3_3"], check=True)
        vgg = TorchVgg(vgg_file, deepest=layers[-1])
        perceptual_flags = ["--vgg", vgg_file, "--layers", args.layers, "--layer-weights", ",".join(["1"] * len(layers))]

    # The engine's run.
    out_dir = os.path.join(work, "run-" + args.device.replace(":", "") + "-" + args.loss.replace("+", "-"))
    cmd = [args.dae, "train", "--data", "fashion-mnist", "--model", "dae-mnist", "--limit", str(IMAGES),
           "--batch", str(BATCH), "--steps", str(STEPS), "--no-shuffle", "--noise", "none", "--loss", args.loss, *perceptual_flags,
           "--lr", str(LR), "--momentum", str(MOMENTUM), "--weight-decay", str(WEIGHT_DECAY),
           "--init", init_path, "--log-every", "1", "--eval-limit", "16", "--device", args.device,
           "--threads", args.threads, "--out", out_dir]
    print("running:", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)
    with open(os.path.join(out_dir, "metrics.jsonl")) as f:
        ours = [json.loads(line) for line in f if line.strip()]
    ours_loss = [e["loss"] for e in ours]
    ours_weights, _ = safetensors_io.load(os.path.join(out_dir, "checkpoint.safetensors"))

    # PyTorch's run, same batches in file order.
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)
    data = torch.from_numpy(images)
    torch_loss = []
    for step in range(STEPS):
        clean = data[step * BATCH:(step + 1) * BATCH]
        out = model(clean)
        loss = torch.nn.functional.mse_loss(out, clean)
        if vgg is not None:
            loss = loss + vgg.loss(out, clean, layers, [1.0] * len(layers))[0]
        opt.zero_grad()
        loss.backward()
        opt.step()
        torch_loss.append(loss.item())

    ok = len(ours_loss) == STEPS
    print(f"{'step':>4} {'dae':>12} {'pytorch':>12} {'rel err':>10}")
    worst_loss = 0.0
    for i in range(min(STEPS, len(ours_loss))):
        rel = abs(ours_loss[i] - torch_loss[i]) / abs(torch_loss[i])
        worst_loss = max(worst_loss, rel)
        print(f"{i + 1:>4} {ours_loss[i]:>12.8f} {torch_loss[i]:>12.8f} {rel:>10.2e}")
    ok = ok and worst_loss < RTOL

    worst_weight = 0.0
    for name, ref in model.state_dict().items():
        ref = ref.detach().numpy().astype(np.float64)
        got = ours_weights[name].astype(np.float64)
        if got.shape != ref.shape:
            print(f"weight {name}: shape {got.shape} vs {ref.shape}")
            ok = False
            continue
        # Element-wise relative error |a - b| / max(|b|, rms(b)): a weight near 0
        # is measured against the tensor's RMS, since its float32 rounding is
        # set by the size of the updates that built it, not by its tiny value.
        rms = np.sqrt((ref ** 2).mean())
        rel = (np.abs(got - ref) / np.maximum(np.abs(ref), rms)).max()
        worst_weight = max(worst_weight, rel)
        print(f"weight {name:<20} max rel err {rel:.2e}")
    ok = ok and worst_weight < RTOL
    print(f"worst loss rel err {worst_loss:.2e}, worst weight rel err {worst_weight:.2e} (tolerance {RTOL:g}):",
          "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
