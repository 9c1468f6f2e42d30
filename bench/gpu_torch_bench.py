"""PyTorch's twin of bench/gpu_conv_bench: the same convolutions, timed in
PyTorch eager on the GPU, printed beside ours, cuBLAS's and cuDNN's.

  gpu_torch_bench.py --ours gpu_conv_bench.csv [--iters 15] [--warmup 3]

The shapes come from the CSV that dae_gpu_conv_bench wrote, so both sides
time exactly the same problems. FP32 without TF32 (as our three), each pass
timed alone with CUDA events, median of --iters runs after --warmup.
Prints one table of GFLOP/s with the ratios ours / cudnn and ours / torch,
then the geometric mean of each ratio per group. Exit 2 when PyTorch or the
GPU is missing.
"""

import argparse
import csv
import math
import statistics
import sys

PASSES = ("forward", "backward-data", "backward-weight")
ALGOS = ("custom", "cublas", "cudnn")


def conv_flops(r):
    b, cin, cout, n, k, s, p = (int(r[f]) for f in
                                ("batch", "in_channels", "out_channels", "size", "kernel", "stride", "padding"))
    if int(r["transposed"]):
        return 2.0 * b * cin * n * n * cout * k * k
    out = (n + 2 * p - k) // s + 1
    return 2.0 * b * cout * out * out * cin * k * k


def torch_pass(torch, r, pass_name):
    """A closure running one pass of the layer described by CSV row r."""
    b, cin, cout, n, k, s, p = (int(r[f]) for f in
                                ("batch", "in_channels", "out_channels", "size", "kernel", "stride", "padding"))
    transposed = bool(int(r["transposed"]))
    dev = torch.device("cuda")
    x = torch.rand(b, cin, n, n, device=dev) * 2 - 1
    w_shape = (cin, cout, k, k) if transposed else (cout, cin, k, k)
    w = (torch.rand(*w_shape, device=dev) * 2 - 1) * 0.1
    f = torch.nn.functional
    y = f.conv_transpose2d(x, w, None, s, p) if transposed else f.conv2d(x, w, None, s, p)
    gy = torch.rand_like(y) * 2 - 1
    if pass_name == "forward":
        return (lambda: f.conv_transpose2d(x, w, None, s, p)) if transposed else (lambda: f.conv2d(x, w, None, s, p))
    mask = [pass_name == "backward-data", pass_name == "backward-weight", False]
    return lambda: torch.ops.aten.convolution_backward(gy, x, w, None, [s, s], [p, p], [1, 1], transposed, [0, 0], 1,
                                                       mask)


def time_ms(torch, fn, iters, warmup):
    for _ in range(warmup):
        fn()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    times = []
    for _ in range(iters):
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end))
    return statistics.median(times)


def fmt(v, width=8, digits=0):
    return f"{v:{width}.{digits}f}" if v is not None and not math.isnan(v) else f"{'-':>{width}}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ours", required=True, help="the CSV written by dae_gpu_conv_bench --csv")
    ap.add_argument("--iters", type=int, default=15)
    ap.add_argument("--warmup", type=int, default=3)
    args = ap.parse_args()
    try:
        import torch
    except ImportError:
        print("gpu_torch_bench: PyTorch is not importable by " + sys.executable, file=sys.stderr)
        return 2
    if not torch.cuda.is_available():
        print("gpu_torch_bench: torch.cuda.is_available() is False", file=sys.stderr)
        return 2
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    iters, warmup = max(1, min(args.iters, 200)), max(0, min(args.warmup, 20))

    with open(args.ours, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        print(f"gpu_torch_bench: {args.ours} has no measurements", file=sys.stderr)
        return 1
    ours = {}      # (group, layer, pass) -> {algo: gflops}
    shapes = {}    # (group, layer) -> a row with the shape
    for r in rows:
        key = (r["group"], r["layer"], r["pass"])
        try:
            gflops = float(r["gflops"])  # "nan" / "-nan" when that algorithm failed
        except ValueError:
            gflops = math.nan
        ours.setdefault(key, {})[r["algo"]] = gflops
        shapes.setdefault((r["group"], r["layer"]), r)

    print(f"{torch.cuda.get_device_name(0)}, PyTorch {torch.__version__}, FP32 (no TF32), GFLOP/s, median of {iters}")
    head = (f"{'group':<10}{'layer':<11}{'pass':<16}{'ours':>8}{'cublas':>8}{'cudnn':>8}{'torch':>8}"
            f"{'ours/cudnn':>12}{'ours/torch':>12}")
    print(head)
    print("-" * len(head))
    ratios = {}  # group -> ([ours/cudnn], [ours/torch])
    for (group, layer), r in shapes.items():
        flops = conv_flops(r)
        for pass_name in PASSES:
            got = ours.get((group, layer, pass_name), {})
            fn = torch_pass(torch, r, pass_name)
            ms = time_ms(torch, fn, iters, warmup)
            t = flops / (ms * 1e-3) / 1e9
            g = [got.get(a, math.nan) for a in ALGOS]
            vs_cudnn = g[0] / g[2] if g[2] and not math.isnan(g[2]) else math.nan
            vs_torch = g[0] / t if t > 0 else math.nan
            for value, index in ((vs_cudnn, 0), (vs_torch, 1)):
                if not math.isnan(value) and value > 0:
                    ratios.setdefault(group, ([], []))[index].append(value)
            print(f"{group:<10}{layer:<11}{pass_name:<16}{fmt(g[0])}{fmt(g[1])}{fmt(g[2])}{fmt(t)}"
                  f"{fmt(vs_cudnn, 12, 2)}{fmt(vs_torch, 12, 2)}")
    print("-" * len(head))
    for group, (a, b) in ratios.items():
        geo = [math.exp(sum(map(math.log, v)) / len(v)) if v else math.nan for v in (a, b)]
        print(f"{group:<10}{'geomean':<11}{'':<16}{'':>32}{fmt(geo[0], 12, 2)}{fmt(geo[1], 12, 2)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
