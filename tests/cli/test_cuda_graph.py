"""`dae bench --device cuda --cuda-graph`: captures one training step into a
CUDA graph on a GPU, and fails with one clear message where it cannot.

  test_cuda_graph.py PATH/TO/dae emulated|hardware

emulated (the CUDA emulator build): the plain bench runs; --cuda-graph ends
with exit code 1 and the one message that the emulator cannot capture a
stream. That message comes after the rehearsal step under the capture guard,
so it also shows that a w1 step neither allocates past the cache nor
synchronises with the host: either would have failed the rehearsal first.
hardware (an nvcc build): skipped (exit 77) without a usable GPU; on one,
--cuda-graph succeeds and prints `cuda_graph 1`, a graph with nodes and no
allocation nodes, a first replay that gives the bits of a real step from the
same weights, and `images_per_s` last. Both: flags that cannot go with
--cuda-graph are refused with a message naming them.
"""

import subprocess
import sys

DAE, MODE = sys.argv[1], sys.argv[2]
BENCH = [DAE, "bench", "--device", "cuda", "--workload", "w1", "--iters", "2", "--warmup", "2"]
TIMEOUT = 500


def run(args):
    return subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT)


def values(stdout):
    out = {}
    for line in stdout.splitlines():
        parts = line.split(None, 1)
        if len(parts) == 2:
            out[parts[0]] = parts[1].strip()
    return out


def last_name(stdout):
    lines = [line for line in stdout.splitlines() if line.strip()]
    return lines[-1].split()[0] if lines else ""


def error_lines(stderr):
    return [line for line in stderr.splitlines() if "error:" in line]


def main():
    failures = []

    def check(cond, what, result=None):
        if not cond:
            detail = ""
            if result is not None:
                detail = (f"\n  exit {result.returncode}\n  stdout: {result.stdout[-600:]!r}"
                          f"\n  stderr: {result.stderr[-600:]!r}")
            failures.append(what + detail)

    plain = run(BENCH[:-1] + ["0"])
    if MODE == "hardware" and plain.returncode != 0 and "no CUDA device" in plain.stderr:
        print("no usable CUDA device: skipped")
        return 77
    check(plain.returncode == 0, "plain dae bench --device cuda failed", plain)
    v = values(plain.stdout)
    check(v.get("cuda_graph") == "0", "plain bench does not print cuda_graph 0", plain)
    check(last_name(plain.stdout) == "images_per_s", "plain bench does not end with images_per_s", plain)

    graph = run(BENCH + ["--cuda-graph"])
    if MODE == "emulated":
        errors = error_lines(graph.stderr)
        check(graph.returncode == 1, "--cuda-graph under the emulator should exit 1", graph)
        check(len(errors) == 1, "--cuda-graph under the emulator should print exactly one error line", graph)
        check(any("--cuda-graph" in e and "CUDA graphs need a real GPU" in e for e in errors),
              "--cuda-graph under the emulator: the message should name the flag and say graphs need a real GPU "
              "(any other message means the rehearsal step failed)", graph)
        check("images_per_s" not in graph.stdout, "--cuda-graph under the emulator printed a result", graph)
    else:
        g = values(graph.stdout)
        check(graph.returncode == 0, "--cuda-graph failed on the GPU", graph)
        check(g.get("cuda_graph") == "1", "--cuda-graph does not print cuda_graph 1", graph)
        check(int(g.get("graph_nodes", "0")) > 0, "--cuda-graph: the graph has no nodes", graph)
        check(g.get("graph_alloc_nodes") == "0", "--cuda-graph: the graph allocates memory", graph)
        check(int(g.get("graph_cached_allocs", "0")) > 0, "--cuda-graph: no allocation was served by the cache",
              graph)
        check(g.get("graph_check_max_abs_diff") == "0",
              "--cuda-graph: the first replay does not give a real step's bits (the kernels are deterministic)", graph)
        check(float(g.get("images_per_s", "0")) > 0, "--cuda-graph: no images_per_s", graph)
        check(last_name(graph.stdout) == "images_per_s", "--cuda-graph does not end with images_per_s", graph)

    refusals = ((["--warmup", "1"], "--warmup >= 2"), (["--device", "cpu"], "--cuda-graph needs --device cuda"))
    for extra, needle in refusals:
        bad = run(BENCH + ["--cuda-graph"] + extra)
        check(bad.returncode != 0 and needle in bad.stderr, f"--cuda-graph {' '.join(extra)} is not refused with "
              f"'{needle}'", bad)

    for f in failures:
        print("FAIL", f)
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
