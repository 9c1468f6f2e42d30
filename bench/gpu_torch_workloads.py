"""PyTorch's twins of the two `dae bench` workloads: whole training steps
(noise, forward, loss, backward, SGD update) timed in images per second, in
PyTorch eager, torch.compile and PyTorch with CUDA graphs, printed beside
ours.

  gpu_torch_workloads.py [--workload w1|w2|all] [--modes eager,compile,graph]
                         [--iters 20] [--warmup 3] [--compile-timeout 90]
                         [--device cuda|cpu] [--csv FILE] [--ours FILE ...]

  w1  dae-mnist, batch 128, 1x28x28, gaussian sigma 0.3 clipped to [0,1], MSE,
      SGD lr 0.05 momentum 0.9
  w2  dae-rgb, batch 8, 3x64x64, gaussian sigma 0.1 clipped, MSE + perceptual
      loss on VGG16 relu1_2, relu2_2, relu3_3 with weights 1, 1, 1 (SPEC §5:
      sum_l w_l ||phi_l(out) - phi_l(clean)||^2 / (C_l H_l W_l), batch mean;
      ImageNet normalisation; VGG frozen with random weights, the clean
      features under no_grad), SGD lr 0.05 momentum 0.9

The model is tests/parity/torch_models.py's DenoisingAutoencoder (SPEC §2
names). The clean batch is a fixed random batch; the noise is drawn per step.
FP32 everywhere, TF32 off. Each step is timed alone (CUDA events, or the
wall clock on the CPU) after --warmup steps; the median of --iters is
reported.

Modes:
  eager    the step as written.
  compile  the forward and the loss through torch.compile (default mode; its
           backward is compiled by AOTAutograd), noise and SGD eager. Run in
           a child process with --compile-timeout seconds for compiling and
           timing: past that, or when compiling fails, it is reported as
           "n/a (reason)".
  graph    the whole step captured once with torch.cuda.graph and replayed
           (CUDA only). Unlike our --cuda-graph, PyTorch's captured
           generator draws new noise on every replay.

--ours takes the outputs of `dae bench --device cuda` (name value lines):
each is placed by its workload, conv_algo and cuda_graph lines, and the
script ends with the table of ours (eager / graph / cudnn) against PyTorch.
--device cpu (a smoke test: the modes that need CUDA report n/a) runs on any
PyTorch from 1.13 on. Exit 2 when PyTorch, or the GPU for --device cuda, is
missing.
"""

import argparse
import csv
import math
import os
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "parity"))

MODES = ("eager", "compile", "graph")
WORKLOADS = {
    # name: (model preset, batch, channels, side, sigma, perceptual)
    "w1": ("dae-mnist", 128, 1, 28, 0.3, False),
    "w2": ("dae-rgb", 8, 3, 64, 0.1, True),
}
VGG16_CFG = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")
VGG_LAYERS = {"relu1_2": 3, "relu2_2": 8, "relu3_3": 15}  # torchvision's vgg16().features indices
PERCEPTUAL = (("relu1_2", 1.0), ("relu2_2", 1.0), ("relu3_3", 1.0))
LR, MOMENTUM = 0.05, 0.9


def vgg16_features(torch):
    """torchvision's vgg16().features with random weights (no download), or,
    without torchvision, the same layers built here (same indices)."""
    try:
        import torchvision
        return torchvision.models.vgg16().features, "torchvision vgg16, random weights"
    except ImportError:
        nn = torch.nn
        layers, c = [], 3
        for v in VGG16_CFG:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(c, v, 3, padding=1), nn.ReLU(inplace=True)]
                c = v
        return nn.Sequential(*layers), "vgg16 layers (no torchvision), random weights"


class Perceptual:
    """sum_l w_l mean((phi_l(out) - phi_l(clean))^2) over VGG16 up to relu3_3."""

    def __init__(self, torch, device):
        features, self.source = vgg16_features(torch)
        deepest = max(VGG_LAYERS[name] for name, _ in PERCEPTUAL)
        self.features = features[:deepest + 1].to(device).eval()
        for p in self.features.parameters():
            p.requires_grad_(False)
        self.mean = torch.tensor([0.485, 0.456, 0.406], device=device).view(1, 3, 1, 1)
        self.std = torch.tensor([0.229, 0.224, 0.225], device=device).view(1, 3, 1, 1)
        self.torch = torch

    def taps(self, x):
        x = (x - self.mean) / self.std
        wanted = {VGG_LAYERS[name]: name for name, _ in PERCEPTUAL}
        out = {}
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in wanted:  # a ReLU output; the layer after it (pooling) does not work in place
                out[wanted[i]] = x
        return out

    def __call__(self, output, clean):
        f = self.torch.nn.functional
        with self.torch.no_grad():
            target = self.taps(clean)
        got = self.taps(output)
        total = 0.0
        for name, weight in PERCEPTUAL:
            total = total + weight * f.mse_loss(got[name], target[name])
        return total


class Workload:
    def __init__(self, torch, name, device):
        from torch_models import DenoisingAutoencoder
        preset, self.batch, channels, side, self.sigma, perceptual = WORKLOADS[name]
        self.torch, self.name, self.device = torch, name, device
        torch.manual_seed(1)
        self.model = DenoisingAutoencoder(preset).to(device)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=LR, momentum=MOMENTUM)
        gen = torch.Generator().manual_seed(2)
        self.clean = torch.rand(self.batch, channels, side, side, generator=gen).to(device)
        self.perceptual = Perceptual(torch, device) if perceptual else None
        self.vgg_source = self.perceptual.source if self.perceptual else "none"
        self.loss_fn = self.forward_loss

    def forward_loss(self, noisy, clean):
        out = self.model(noisy)
        loss = self.torch.nn.functional.mse_loss(out, clean)
        if self.perceptual is not None:
            loss = loss + self.perceptual(out, clean)
        return loss

    def step(self):
        noisy = (self.clean + self.sigma * self.torch.randn_like(self.clean)).clamp_(0.0, 1.0)
        loss = self.loss_fn(noisy, self.clean)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        return loss


def time_steps(torch, device, fn, iters, warmup):
    """Median milliseconds of fn() over iters runs after warmup runs, each timed alone."""
    for _ in range(warmup):
        fn()
    times = []
    if device.type == "cuda":
        torch.cuda.synchronize()
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        for _ in range(iters):
            start.record()
            fn()
            end.record()
            end.synchronize()
            times.append(start.elapsed_time(end))
    else:
        for _ in range(iters):
            t0 = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def run_mode(torch, device, name, mode, iters, warmup):
    """(milliseconds per step, note) of one workload in one mode, in this process.
    Raises NotAvailable with the reason when the mode cannot run here."""
    w = Workload(torch, name, device)
    if mode == "eager":
        return time_steps(torch, device, w.step, iters, warmup), ""
    if mode == "compile":
        if not hasattr(torch, "compile"):
            raise NotAvailable(f"torch.compile needs PyTorch 2 (this is {torch.__version__})")
        w.loss_fn = torch.compile(w.forward_loss)
        t0 = time.perf_counter()
        w.step()  # compiles the forward and the backward
        if device.type == "cuda":
            torch.cuda.synchronize()
        return time_steps(torch, device, w.step, iters, warmup), f"compiled in {time.perf_counter() - t0:.0f} s"
    if mode == "graph":
        if device.type != "cuda":
            raise NotAvailable("CUDA graphs need --device cuda")
        # Warm up on a side stream (creates the momentum buffers and the
        # autograd state), then capture one whole step and replay it.
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(max(warmup, 3)):
                w.step()
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        w.optimizer.zero_grad(set_to_none=True)
        with torch.cuda.graph(graph):
            w.step()
        return time_steps(torch, device, graph.replay, iters, 1), "captured step, new noise per replay"
    raise ValueError(mode)


class NotAvailable(Exception):
    pass


def first_line(text, limit=90):
    line = next((s.strip() for s in str(text).splitlines() if s.strip()), "")
    return line if len(line) <= limit else line[:limit - 3] + "..."


def run_child(args, name, mode, timeout):
    """Runs one (workload, mode) in a child process with a time limit: (ms, note)
    or raises NotAvailable. The child gets its own process group, killed with
    everything it started (compile workers) when the limit passes."""
    cmd = [sys.executable, os.path.abspath(__file__), "--child", "--workload", name, "--modes", mode,
           "--iters", str(args.iters), "--warmup", str(args.warmup), "--device", args.device]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise NotAvailable(f"compiling and timing took more than {timeout:g} s") from None
    finally:
        try:  # the child and whatever it left running
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        proc.wait()
    for line in out.splitlines():
        if line.startswith("RESULT "):
            fields = line.split(" ", 2)
            return float(fields[1]), fields[2].strip() if len(fields) > 2 else ""
        if line.startswith("NOTAVAILABLE "):
            raise NotAvailable(line[len("NOTAVAILABLE "):].strip())
    last = err.strip().splitlines()[-1] if err.strip() else "no output"
    raise NotAvailable(f"exit code {proc.returncode}: {first_line(last)}")


def die_with_parent():
    """In the child: be killed when the parent dies (Linux), so that a parent
    killed outright never leaves a compile running."""
    try:
        import ctypes
        ctypes.CDLL(None).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def child_main(torch, device, args):
    name, mode = args.workload, args.modes
    try:
        ms, note = run_mode(torch, device, name, mode, args.iters, args.warmup)
    except NotAvailable as e:
        print(f"NOTAVAILABLE {first_line(e)}", flush=True)
        return 0
    except Exception as e:  # noqa: BLE001 - any failure of torch.compile is "n/a (why)"
        print(f"NOTAVAILABLE {type(e).__name__}: {first_line(e)}", flush=True)
        return 0
    print(f"RESULT {ms:.6f} {note}", flush=True)
    return 0


def read_ours(paths):
    """{(workload, column): images/s} from `dae bench` outputs; column is eager, graph or cudnn."""
    ours = {}
    for path in paths:
        values = {}
        try:
            with open(path) as f:
                for line in f:
                    parts = line.split(None, 1)
                    if len(parts) == 2:
                        values[parts[0]] = parts[1].strip()
        except OSError as e:
            print(f"gpu_torch_workloads: cannot read {path}: {e.strerror}", file=sys.stderr)
            continue
        if "images_per_s" not in values or "workload" not in values:
            print(f"gpu_torch_workloads: {path} is not a `dae bench` output (no workload / images_per_s)",
                  file=sys.stderr)
            continue
        graph = values.get("cuda_graph", "0") == "1"
        algo = values.get("conv_algo", "custom")
        column = "graph" if graph else ("cudnn" if algo == "cudnn" else "eager" if algo == "custom" else algo)
        try:
            ours[(values["workload"], column)] = float(values["images_per_s"])
        except ValueError:
            print(f"gpu_torch_workloads: {path}: images_per_s is not a number", file=sys.stderr)
    return ours


def fmt(v, width, digits=0):
    return f"{v:{width}.{digits}f}" if v is not None and not math.isnan(v) else f"{'-':>{width}}"


def ratio(a, b):
    return a / b if a is not None and b is not None and b > 0 else None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workload", default="all", choices=("w1", "w2", "all"))
    ap.add_argument("--modes", default="eager,compile,graph", help="comma-separated: eager, compile, graph")
    ap.add_argument("--iters", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--compile-timeout", type=float, default=90.0,
                    help="seconds for compiling and timing one workload with torch.compile (0: skip it)")
    ap.add_argument("--device", default="cuda", choices=("cuda", "cpu"))
    ap.add_argument("--csv", help="write workload,mode,images_per_s,step_ms,note here")
    ap.add_argument("--ours", nargs="*", default=[], help="`dae bench` outputs to put in the table")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    bad = [m for m in modes if m not in MODES]
    if bad or not modes:
        ap.error(f"--modes: unknown mode(s) {', '.join(bad) or '(none given)'}; expected some of {', '.join(MODES)}")
    args.iters, args.warmup = max(1, min(args.iters, 1000)), max(0, min(args.warmup, 100))
    if args.child and (args.workload == "all" or len(modes) != 1):
        ap.error("--child runs one workload in one mode")
    if args.child:
        die_with_parent()

    try:
        import torch
    except ImportError:
        print("gpu_torch_workloads: PyTorch is not importable by " + sys.executable, file=sys.stderr)
        return 2
    if args.device == "cuda" and not torch.cuda.is_available():
        print("gpu_torch_workloads: torch.cuda.is_available() is False (use --device cpu for a smoke test)",
              file=sys.stderr)
        return 2
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    if hasattr(torch, "set_float32_matmul_precision"):
        torch.set_float32_matmul_precision("highest")
    device = torch.device(args.device)
    if args.child:
        return child_main(torch, device, args)

    # A SIGTERM (the caller's time limit) ends this process through the
    # finally blocks, so a running child is killed with it.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    where = torch.cuda.get_device_name(0) if device.type == "cuda" else "CPU"
    print(f"{where}, PyTorch {torch.__version__}, FP32 (no TF32), whole training steps, median of {args.iters}")
    names = ["w1", "w2"] if args.workload == "all" else [args.workload]
    results = {}  # (workload, mode) -> (images/s or None, note)
    rows = []
    for name in names:
        batch = WORKLOADS[name][1]
        for mode in modes:
            try:
                if mode == "compile" and not hasattr(torch, "compile"):
                    raise NotAvailable(f"torch.compile needs PyTorch 2 (this is {torch.__version__})")
                if mode == "compile" and args.compile_timeout <= 0:
                    raise NotAvailable("skipped: --compile-timeout 0 (too little time left)")
                if mode == "compile":
                    ms, note = run_child(args, name, mode, args.compile_timeout)
                else:
                    ms, note = run_mode(torch, device, name, mode, args.iters, args.warmup)
                ips = batch * 1e3 / ms
                print(f"{name} {mode:<8} images_per_s {ips:10.1f}  step_ms {ms:8.3f}"
                      + (f"  ({note})" if note else ""), flush=True)
                results[(name, mode)] = (ips, note)
                rows.append((name, mode, f"{ips:.2f}", f"{ms:.4f}", note))
            except (NotAvailable, RuntimeError) as e:
                if isinstance(e, RuntimeError) and mode != "graph":
                    raise  # eager must run; PyTorch's CUDA graph is the optional one
                why = first_line(e) if isinstance(e, NotAvailable) else f"{type(e).__name__}: {first_line(e)}"
                print(f"{name} {mode:<8} images_per_s n/a ({why})", flush=True)
                results[(name, mode)] = (None, f"n/a ({why})")
                rows.append((name, mode, "n/a", "n/a", why))
            if device.type == "cuda":
                torch.cuda.empty_cache()
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            out = csv.writer(f)
            out.writerow(("workload", "mode", "images_per_s", "step_ms", "note"))
            out.writerows(rows)

    ours = read_ours(args.ours)
    if args.ours:
        print()
        print("training steps, images/s (higher is better); ratios are ours / PyTorch")
        head = (f"{'workload':<10}{'ours':>9}{'graph':>9}{'cudnn':>9}{'torch':>9}{'compile':>9}{'t-graph':>9}"
                f"{'ours/torch':>12}{'graph/compile':>15}{'graph/t-graph':>15}")
        print(head)
        print("-" * len(head))
        for name in names:
            o = [ours.get((name, c)) for c in ("eager", "graph", "cudnn")]
            t = [results.get((name, m), (None, ""))[0] for m in MODES]
            print(f"{name:<10}{fmt(o[0], 9)}{fmt(o[1], 9)}{fmt(o[2], 9)}{fmt(t[0], 9)}{fmt(t[1], 9)}{fmt(t[2], 9)}"
                  f"{fmt(ratio(o[0], t[0]), 12, 2)}{fmt(ratio(o[1], t[1]), 15, 2)}{fmt(ratio(o[1], t[2]), 15, 2)}")
        print("-" * len(head))
        print("ours: our kernels; graph: ours with --cuda-graph (the same noise every replay); cudnn: ours with "
              "--conv-algo cudnn;")
        print("torch: PyTorch eager; compile: torch.compile; t-graph: PyTorch CUDA graph; '-': not measured or n/a")
        for (name, mode), (ips, note) in results.items():
            if ips is None:
                print(f"  {name} {mode}: {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
