#!/usr/bin/env python3
"""PyTorch twin of dae_bench_conv: the same convolution shapes and passes.

    python3 bench/torch_conv_bench.py [--threads T] [--repeats 5] [--min-time 0.5]
                                      [--filter TEXT] [--ours dae_bench_conv.json]

Rows are named as in dae_bench_conv (bench/conv_bench_shapes.h lists the
shapes): conv/<set>/<layer>/<pass> or convT/..., pass fwd, bwd_data or
bwd_weight. Each pass is timed like ours: one untimed warm-up call, then
--repeats measurements, each the mean time of as many calls as fit in
--min-time seconds; the median is reported, as GFLOP/s with the same FLOP
count (2 x the multiply-adds of the forward pass, for every pass).

  fwd         F.conv2d / F.conv_transpose2d with bias
  bwd_data    torch.ops.aten.convolution_backward, output_mask (1, 0, 0)
  bwd_weight  torch.ops.aten.convolution_backward, output_mask (0, 1, 0)

With --ours FILE (the output of `dae_bench_conv --benchmark_format=json
--benchmark_repetitions=5 --benchmark_report_aggregates_only=true`), a
third column prints our median GFLOP/s and the ratio ours / PyTorch.
"""
import argparse
import json
import statistics
import sys
import time

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    print("SKIP: torch is not installed (Debian: python3-torch)")
    sys.exit(77)

# name, layer, transposed, batch, in_channels, out_channels, height, width, kernel, stride, padding
CASES = [
    ("mnist", "encoder.0", False, 128, 1, 32, 28, 28, 3, 1, 1),
    ("mnist", "encoder.2", False, 128, 32, 64, 28, 28, 3, 2, 1),
    ("mnist", "encoder.4", False, 128, 64, 64, 14, 14, 3, 2, 1),
    ("mnist", "decoder.0", True, 128, 64, 64, 7, 7, 4, 2, 1),
    ("mnist", "decoder.2", True, 128, 64, 32, 14, 14, 4, 2, 1),
    ("mnist", "decoder.4", False, 128, 32, 1, 28, 28, 3, 1, 1),
    ("rgb", "encoder.0", False, 8, 3, 64, 64, 64, 3, 1, 1),
    ("rgb", "encoder.2", False, 8, 64, 128, 64, 64, 3, 2, 1),
    ("rgb", "encoder.4", False, 8, 128, 128, 32, 32, 3, 2, 1),
    ("rgb", "decoder.0", True, 8, 128, 128, 16, 16, 4, 2, 1),
    ("rgb", "decoder.2", True, 8, 128, 64, 32, 32, 4, 2, 1),
    ("rgb", "decoder.4", False, 8, 64, 3, 64, 64, 3, 1, 1),
    ("vgg", "features.0", False, 8, 3, 64, 64, 64, 3, 1, 1),
    ("vgg", "features.2", False, 8, 64, 64, 64, 64, 3, 1, 1),
    ("vgg", "features.5", False, 8, 64, 128, 32, 32, 3, 1, 1),
    ("vgg", "features.7", False, 8, 128, 128, 32, 32, 3, 1, 1),
    ("vgg", "features.10", False, 8, 128, 256, 16, 16, 3, 1, 1),
    ("vgg", "features.12", False, 8, 256, 256, 16, 16, 3, 1, 1),
]
PASSES = ("fwd", "bwd_data", "bwd_weight")


def flops(case):
    _, _, transposed, n, cin, cout, h, w, k, s, p = case
    if transposed:
        # 2 * input elements * out_channels * k * k
        return 2.0 * n * cin * h * w * cout * k * k
    ho = (h + 2 * p - k) // s + 1
    wo = (w + 2 * p - k) // s + 1
    return 2.0 * n * cout * ho * wo * cin * k * k


def make_call(case, pass_name):
    _, _, transposed, n, cin, cout, h, w, k, s, p = case
    gen = torch.Generator().manual_seed(1)
    x = torch.rand(n, cin, h, w, generator=gen) * 2 - 1
    if transposed:
        weight = torch.rand(cin, cout, k, k, generator=gen) * 2 - 1
    else:
        weight = torch.rand(cout, cin, k, k, generator=gen) * 2 - 1
    bias = torch.rand(cout, generator=gen) * 2 - 1
    with torch.no_grad():
        if transposed:
            y = F.conv_transpose2d(x, weight, bias, stride=s, padding=p)
        else:
            y = F.conv2d(x, weight, bias, stride=s, padding=p)
    grad_y = torch.rand(y.shape, generator=gen) * 2 - 1

    if pass_name == "fwd":
        if transposed:
            return lambda: F.conv_transpose2d(x, weight, bias, stride=s, padding=p)
        return lambda: F.conv2d(x, weight, bias, stride=s, padding=p)
    mask = [True, False, False] if pass_name == "bwd_data" else [False, True, False]

    def backward():
        return torch.ops.aten.convolution_backward(grad_y, x, weight, None, [s, s], [p, p], [1, 1], transposed,
                                                   [0, 0], 1, mask)
    return backward


def median_seconds(call, repeats, min_time):
    with torch.no_grad():
        call()  # warm-up
        samples = []
        for _ in range(repeats):
            calls = 0
            t0 = time.perf_counter()
            while True:
                call()
                calls += 1
                elapsed = time.perf_counter() - t0
                if elapsed >= min_time:
                    break
            samples.append(elapsed / calls)
    return statistics.median(samples)


def load_ours(path):
    """Median GFLOP/s per row name from a dae_bench_conv JSON file."""
    with open(path) as f:
        data = json.load(f)
    ours = {}
    for b in data.get("benchmarks", []):
        name = b.get("run_name", b["name"]).replace("/real_time", "")
        if b.get("aggregate_name", "median") != "median" or "GFLOP/s" not in b:
            continue
        ours[name] = b["GFLOP/s"]
    return ours


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=0, help="torch.set_num_threads (0: leave PyTorch's default)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--min-time", type=float, default=0.5, help="seconds per measurement")
    ap.add_argument("--filter", default="", help="only rows whose name contains this text")
    ap.add_argument("--ours", default="", help="dae_bench_conv JSON output to compare against")
    args = ap.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    ours = load_ours(args.ours) if args.ours else {}
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, mkldnn {torch.backends.mkldnn.is_available()}")
    header = f"{'row':42s} {'torch GFLOP/s':>14s} {'ms':>9s}"
    if ours:
        header += f" {'ours GFLOP/s':>13s} {'ours/torch':>10s}"
    print(header)
    for case in CASES:
        for pass_name in PASSES:
            name = f"{'convT' if case[2] else 'conv'}/{case[0]}/{case[1]}/{pass_name}"
            if args.filter and args.filter not in name:
                continue
            seconds = median_seconds(make_call(case, pass_name), args.repeats, args.min_time)
            gflops = flops(case) / seconds * 1e-9
            line = f"{name:42s} {gflops:14.1f} {seconds * 1e3:9.3f}"
            if name in ours:
                line += f" {ours[name]:13.1f} {ours[name] / gflops:10.2f}"
            print(line, flush=True)


if __name__ == "__main__":
    main()
