#!/usr/bin/env python3
"""Our engine against PyTorch, side by side, on the CPU: one invocation, one table.

  python3 bench/compare_torch.py --build BUILD [--threads 2] [--rounds 3] [--quick]
                                 [--only w1,w2,conv,noise,loss] [--json FILE] [--markdown FILE]

BUILD is a build folder configured with -DDAE_BUILD_BENCH=ON (tools/dae and
bench/dae_bench_* in it). Every row runs ours and PyTorch alternately
(A B A B ..., --rounds times) in this one invocation, and the medians are
compared. The table shows ours, PyTorch, the ratio ours / PyTorch, and the
ceiling the row is measured against with the fraction of it we reach:

  compute-bound rows (training steps, convolutions): GFLOP/s against the FMA
      peak, a register-only FMA loop on the same threads (dae_bench_gemm's
      fma_peak row); a training step's GFLOP/s is its arithmetic floor
      (W1: 93 MFLOP per image, W2: 6.5 GFLOP per image) times images/s;
  memory-bound rows (noise, loss reductions): GB/s, counting the bytes each
      kernel must read and write, against a plain memory copy of the same size
      (for a noise row, the copy dae_bench_cpu times between that row's own
      iterations; for the loss rows, dae_bench_loss's copy row).

Rows:
  w1, w2     `dae bench --workload w1|w2` vs the PyTorch twin of the step
             (bench/gpu_torch_workloads.py, eager mode on the CPU)
  conv       dae_bench_conv vs bench/torch_conv_bench.py: dae-mnist, dae-rgb
             and VGG16-to-relu3_3 convolutions, forward / backward-data /
             backward-weight
  noise      dae_bench_cpu vs the same corruption written with PyTorch ops
             (noisy batch and mask, 12 bytes per element)
  loss       dae_bench_loss's fused perceptual-layer reduction (value and
             gradient) vs the PyTorch ops (12 bytes per element)

PyTorch uses the threads of --threads (torch.set_num_threads); its version
and its BLAS / oneDNN configuration are printed first. For the tuned BLAS
that the figures in docs/performance.md use, install Debian's OpenMP build of
OpenBLAS and select it:

  apt-get install libopenblas0-openmp
  update-alternatives --set libblas.so.3-x86_64-linux-gnu /usr/lib/x86_64-linux-gnu/openblas-openmp/libblas.so.3
  update-alternatives --set liblapack.so.3-x86_64-linux-gnu /usr/lib/x86_64-linux-gnu/openblas-openmp/liblapack.so.3

(the pthread build of OpenBLAS fights PyTorch's OpenMP pool and is slower).
--quick runs everything once, briefly (CI uses it to prove the script works).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

try:
    import torch
except ImportError:
    print("SKIP: torch is not installed (Debian: python3-torch)")
    sys.exit(77)

import gpu_torch_workloads  # noqa: E402  the W1/W2 steps in PyTorch
import torch_conv_bench  # noqa: E402  the convolution shapes in PyTorch

FLOP_PER_IMAGE = {"w1": 93e6, "w2": 6.5e9}  # the arithmetic floor of a training step (benchmark issue)
NOISE_SPECS = {  # our benchmark row -> the spec it times
    "gaussian": "gaussian:sigma=0.1", "saltpepper": "saltpepper:amount=0.1",
    "saltpepper_shared": "saltpepper:amount=0.1,per_channel=0", "mask": "mask:p=0.25",
    "mask_shared": "mask:p=0.25,per_channel=0", "block": "block:size=16,count=4",
}


def run_benchmark(program, threads, args, quick):
    """{row name: counters} from one run of a Google Benchmark program."""
    cmd = [program, f"--threads={threads}", "--benchmark_format=json", *args]
    cmd.append("--benchmark_min_time=0.001" if quick else "--benchmark_min_time=0.3")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    rows = {}
    for b in json.loads(out)["benchmarks"]:
        rows[b.get("run_name", b["name"]).replace("/real_time", "")] = b
    return rows


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def env_report(build, threads):
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads")
    for line in torch.__config__.show().splitlines():
        if any(k in line for k in ("BLAS", "MKL", "oneDNN", "LAPACK", "OpenMP", "CPU capability")):
            print("  " + line.strip()[:150])
    try:
        blas = os.path.realpath("/etc/alternatives/libblas.so.3-x86_64-linux-gnu")
        print(f"  system BLAS: {blas}")
    except OSError:
        pass
    info = subprocess.run([os.path.join(build, "tools", "dae"), "info"], capture_output=True, text=True).stdout
    print("dae: " + ", ".join(line.replace(" ", " = ", 1) for line in info.splitlines()))
    print(f"threads for both: {threads}")


def conv_flop_per_byte(case):
    """FLOP per byte of DRAM traffic if input, weight and output each move once (the roofline's x)."""
    _, _, transposed, n, cin, cout, h, w, k, s, p = case
    if transposed:
        ho, wo = (h - 1) * s - 2 * p + k, (w - 1) * s - 2 * p + k
    else:
        ho, wo = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
    elements = n * cin * h * w + cin * cout * k * k + n * cout * ho * wo
    return torch_conv_bench.flops(case) / (4.0 * elements)


# ---- PyTorch twins of the memory-bound rows --------------------------------

def torch_noise_gbs(spec, x, quick):
    """GB/s of the corruption in PyTorch ops: noisy batch and mask from x, 12 bytes per element."""
    kind = spec.split(":")[0]
    if kind == "gaussian":
        def run():
            noisy = (x + 0.1 * torch.randn_like(x)).clamp_(0.0, 1.0)
            mask = torch.ones_like(x)
            return noisy, mask
    elif kind == "saltpepper":
        shared = "per_channel=0" in spec

        def run():
            shape = (x.shape[0], 1, *x.shape[2:]) if shared else x.shape
            u = torch.rand(shape)
            hit = (u < 0.1).expand_as(x)
            salt = (torch.rand(shape) < 0.5).expand_as(x)
            noisy = torch.where(hit, salt.to(x.dtype), x)
            return noisy, hit.to(x.dtype)
    elif kind == "mask":
        shared = "per_channel=0" in spec

        def run():
            shape = (x.shape[0], 1, *x.shape[2:]) if shared else x.shape
            hit = (torch.rand(shape) < 0.25).expand_as(x)
            return x.masked_fill(hit, 0.0), hit.to(x.dtype)
    else:  # block: 4 squares of 16x16 per image, placed at random
        n, _, h, w = x.shape

        def run():
            mask = torch.zeros(n, 1, h, w)
            tops = torch.randint(0, h - 15, (n, 4))
            lefts = torch.randint(0, w - 15, (n, 4))
            rows = torch.arange(h).view(1, 1, h, 1)
            cols = torch.arange(w).view(1, 1, 1, w)
            for j in range(4):
                t = tops[:, j].view(n, 1, 1, 1)
                l = lefts[:, j].view(n, 1, 1, 1)
                mask = mask + ((rows >= t) & (rows < t + 16) & (cols >= l) & (cols < l + 16)).float()
            mask = (mask > 0).float().expand_as(x)
            return x * (1 - mask), mask
    seconds = torch_conv_bench.median_seconds(run, 1 if quick else 3, 0.001 if quick else 0.3)
    return x.numel() * 12 / seconds / 1e9


def torch_loss_gbs(n_elements, quick):
    """GB/s of one perceptual layer's value and gradient in PyTorch ops (12 bytes per element)."""
    a, b = torch.rand(n_elements) * 2, torch.rand(n_elements) * 2

    def run():
        d = a - b
        value = (d * d).sum() * 1e-3
        grad = d * 2e-3
        return value, grad
    seconds = torch_conv_bench.median_seconds(run, 1 if quick else 3, 0.001 if quick else 0.3)
    return n_elements * 12 / seconds / 1e9


# ---- peak memory of a training step ------------------------------------------

TORCH_MEMORY_CHILD = r"""
import sys
sys.path.insert(0, sys.argv[1])
import torch
import gpu_torch_workloads as g
torch.set_num_threads(int(sys.argv[3]))
w = g.Workload(torch, sys.argv[2], torch.device("cpu"))
def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) * 1024
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # VmHWM := VmRSS
before = status("VmRSS:")  # models, data and optimizer built, no step yet (as dae bench measures)
for _ in range(int(sys.argv[4])):
    w.step()
print(status("VmHWM:") - before)
"""


def dae_bench_fields(dae, workload, threads, iters, warmup=2):
    out = subprocess.run([dae, "bench", "--workload", workload, "--threads", str(threads), "--iters", str(iters),
                          "--warmup", str(warmup)], check=True, capture_output=True, text=True).stdout
    return dict(line.split(None, 1) for line in out.strip().splitlines() if " " in line)


def torch_step_rss_growth(workload, threads, steps):
    """Bytes by which PyTorch's resident set grows over `steps` training steps, from before the first."""
    out = subprocess.run([sys.executable, "-c", TORCH_MEMORY_CHILD, HERE, workload, str(threads), str(steps)],
                         check=True, capture_output=True, text=True).stdout
    return int(out.strip().splitlines()[-1])


# ---- the table ---------------------------------------------------------------

def print_table(rows):
    print()
    print(f"{'row':<34} {'ours':>10} {'PyTorch':>10} {'ratio':>7} {'unit':>8} {'ceiling':>9} {'of ceiling':>10}")
    for r in rows:
        def f(v, d=1):
            return f"{v:.{d}f}" if v is not None else "n/a"
        ratio = r["ours"] / r["torch"] if r["ours"] and r["torch"] else None
        frac = r["ours_rate"] / r["ceiling"] if r.get("ours_rate") and r.get("ceiling") else None
        print(f"{r['row']:<34} {f(r['ours']):>10} {f(r['torch']):>10} {f(ratio, 2):>7} {r['unit']:>8} "
              f"{f(r.get('ceiling')):>9} {f(frac * 100 if frac else None, 0) + ('%' if frac else ''):>10}")


def markdown_table(rows, memory):
    """The table as Markdown (docs/performance.md pastes it)."""
    def f(v, d=1):
        return f"{v:.{d}f}" if v is not None else "n/a"
    lines = ["| row | ours | PyTorch | ours / PyTorch | unit | ceiling | of ceiling |",
             "|---|---:|---:|---:|---|---:|---:|"]
    for r in rows:
        ratio = r["ours"] / r["torch"] if r["ours"] and r["torch"] else None
        frac = r["ours_rate"] / r["ceiling"] if r.get("ours_rate") and r.get("ceiling") else None
        lines.append(f"| {r['row']} | {f(r['ours'])} | {f(r['torch'])} | {f(ratio, 2)} | {r['unit']} | "
                     f"{f(r.get('ceiling'))} | {f(frac * 100, 0) + '%' if frac else 'n/a'} |")
    for m in memory:
        lines.append(f"| {m['workload']} resident-set growth | {m['ours_rss_growth'] / 2**20:.1f} | "
                     f"{m['torch_rss_growth'] / 2**20:.1f} | "
                     f"{m['ours_rss_growth'] / max(m['torch_rss_growth'], 1):.2f} | MiB | | |")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", required=True, help="a build folder with -DDAE_BUILD_BENCH=ON")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3, help="A B rounds per row (medians are compared)")
    ap.add_argument("--quick", action="store_true", help="one short round of everything (a smoke test)")
    ap.add_argument("--only", default="w1,w2,conv,noise,loss")
    ap.add_argument("--json", default="", help="also write the rows as JSON (for bench/roofline.py)")
    ap.add_argument("--markdown", default="", help="also write the table as Markdown")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    groups = set(args.only.split(","))
    rounds = 1 if args.quick else args.rounds
    bench = lambda name: os.path.join(args.build, "bench", name)  # noqa: E731
    dae = os.path.join(args.build, "tools", "dae")
    env_report(args.build, args.threads)

    # Ceilings, measured first (and again each round for the copy, which the machine's load moves).
    peak_rows = run_benchmark(bench("dae_bench_gemm"), args.threads, ["--benchmark_filter=fma_peak"], args.quick)
    peak = next(iter(peak_rows.values()))["GFLOP/s"]
    print(f"FMA peak on {args.threads} threads: {peak:.1f} GFLOP/s")
    rows = []
    copies = []  # measured copy bandwidths, GB/s (the roofline's memory slope)
    memory = []  # resident-set growth over the training steps (from before the first), ours and PyTorch's

    for workload in ("w1", "w2"):
        if workload not in groups:
            continue
        ours, theirs = [], []
        iters = 3 if args.quick else 15
        for _ in range(rounds):
            fields = dae_bench_fields(dae, workload, args.threads, iters)
            ours.append(float(fields["images_per_s"]))
            ms, _ = gpu_torch_workloads.run_mode(torch, torch.device("cpu"), workload, "eager", iters, 2)
            batch = gpu_torch_workloads.WORKLOADS[workload][1]
            theirs.append(batch * 1000.0 / ms)
        o, t = median(ours), median(theirs)
        rows.append({"row": f"{workload} training step", "unit": "img/s", "ours": o, "torch": t,
                     "ours_rate": o * FLOP_PER_IMAGE[workload] / 1e9, "ceiling": peak, "kind": "compute",
                     "flop_per_byte": None})
        print(f"{workload}: ours {o:.1f} images/s, PyTorch {t:.1f} images/s", flush=True)
        if "step_rss_growth_bytes" in fields:
            mine = int(fields["step_rss_growth_bytes"])
            theirs_mem = torch_step_rss_growth(workload, args.threads, iters + 2)  # as many steps as ours
            memory.append({"workload": workload, "ours_rss_growth": mine, "torch_rss_growth": theirs_mem,
                           "ours_allocator_peak": int(fields["peak_step_bytes"])})
            print(f"{workload} step memory: resident set grows by {mine / 2**20:.1f} MiB (ours; allocator peak "
                  f"{int(fields['peak_step_bytes']) / 2**20:.1f} MiB) vs {theirs_mem / 2**20:.1f} MiB (PyTorch)",
                  flush=True)

    if "conv" in groups:
        ours_runs = []
        torch_runs = {}
        for _ in range(rounds):
            ours_runs.append(run_benchmark(bench("dae_bench_conv"), args.threads, ["--benchmark_filter=conv"],
                                           args.quick))
            for case in torch_conv_bench.CASES:
                for p in torch_conv_bench.PASSES:
                    name = f"{'convT' if case[2] else 'conv'}/{case[0]}/{case[1]}/{p}"
                    s = torch_conv_bench.median_seconds(torch_conv_bench.make_call(case, p), 1 if args.quick else 3,
                                                        0.001 if args.quick else 0.2)
                    torch_runs.setdefault(name, []).append(torch_conv_bench.flops(case) / s / 1e9)
        intensity = {f"{'convT' if c[2] else 'conv'}/{c[0]}/{c[1]}/{p}": conv_flop_per_byte(c)
                     for c in torch_conv_bench.CASES for p in torch_conv_bench.PASSES}
        for name, values in torch_runs.items():
            o = median([r[name]["GFLOP/s"] for r in ours_runs if name in r])
            rows.append({"row": name, "unit": "GFLOP/s", "ours": o, "torch": median(values), "ours_rate": o,
                         "ceiling": peak, "kind": "compute", "flop_per_byte": intensity[name]})
        print(f"conv: {len(torch_runs)} rows", flush=True)

    if "noise" in groups:
        x = torch.rand(128, 3, 512, 512) * 0.8 + 0.1  # the size dae_bench_cpu uses
        ours_runs, torch_runs = [], {}
        for _ in range(rounds):
            ours_runs.append(run_benchmark(bench("dae_bench_cpu"), args.threads, [], args.quick))
            for name, spec in NOISE_SPECS.items():
                torch_runs.setdefault(name, []).append(torch_noise_gbs(spec, x, args.quick))
        copy = median([r["BM_copy"]["GB/s"] for r in ours_runs])  # this program's counters are in GB/s
        for name, values in torch_runs.items():
            o = median([r[f"BM_noise/{name}"]["GB/s"] for r in ours_runs])
            # The ceiling of a noise row is the copy timed between its own
            # iterations (dae_bench_cpu's copy_GB/s), in the same seconds.
            paired = median([r[f"BM_noise/{name}"]["copy_GB/s"] for r in ours_runs])
            rows.append({"row": f"noise {name}", "unit": "GB/s", "ours": o, "torch": median(values), "ours_rate": o,
                         "ceiling": paired, "kind": "memory", "flop_per_byte": None})
        del x
        copies.append(copy)
        print(f"noise: copy {copy:.1f} GB/s", flush=True)

    if "loss" in groups:
        ours_runs, torch_runs = [], []
        for _ in range(rounds):
            ours_runs.append(run_benchmark(bench("dae_bench_loss"), args.threads, [], args.quick))
            torch_runs.append(torch_loss_gbs(8 * 64 * 64 * 64, args.quick))
        copy = median([r["BM_copy/0"]["GB/s"] for r in ours_runs]) / 1e9
        copies.append(copy)
        fused = median([r["BM_feature_distance_fused/0"]["GB/s"] for r in ours_runs]) / 1e9
        unfused = median([r["BM_feature_distance_unfused/0"]["GB/s"] for r in ours_runs]) / 1e9
        rows.append({"row": "perceptual reduction, fused", "unit": "GB/s", "ours": fused, "torch": median(torch_runs),
                     "ours_rate": fused, "ceiling": copy, "kind": "memory", "flop_per_byte": None})
        rows.append({"row": "perceptual reduction, unfused ops", "unit": "GB/s", "ours": unfused,
                     "torch": median(torch_runs), "ours_rate": unfused, "ceiling": copy, "kind": "memory",
                     "flop_per_byte": None})

    print_table(rows)
    for m in memory:
        print(f"{m['workload']} step, resident-set growth: ours {m['ours_rss_growth'] / 2**20:.1f} MiB "
              f"(allocator peak {m['ours_allocator_peak'] / 2**20:.1f} MiB), "
              f"PyTorch {m['torch_rss_growth'] / 2**20:.1f} MiB")
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(markdown_table(rows, memory))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"threads": args.threads, "fma_peak": peak, "copy_gbs": copies[0] if copies else None,  # the noise group's 403 MB copy first
                       "torch": torch.__version__, "rows": rows, "memory": memory,
                       "time": time.strftime("%Y-%m-%d %H:%M")}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
