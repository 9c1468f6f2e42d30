#!/usr/bin/env bash
# The GPU check, for a machine with an NVIDIA GPU (written for an H200):
# CUDA 13 with cuDNN, CMake, a python3 that imports torch (2.x) with CUDA; no
# internet needed. It
#   1. builds a Release build for sm_90 only (-DDAE_CUDA=ON -DDAE_CUDA_ARCHITECTURES=90),
#   2. runs the CUDA tests on the GPU (tests/cuda, the op harness CUDA vs CPU,
#      the training parity with PyTorch on cuda; a test that needs data that is
#      not installed reports itself skipped),
#   3. times our convolution kernels, im2col + cuBLAS and cuDNN
#      (bench/gpu_conv_bench.cpp) and PyTorch (bench/gpu_torch_bench.py) on the
#      dae-mnist, dae-rgb and VGG16 convolutions and prints one table,
#   4. times whole training steps of the two benchmark workloads, w1 (dae-mnist)
#      and w2 (dae-rgb + VGG16 perceptual loss): ours (`dae bench`: our kernels,
#      the same step replayed as a CUDA graph, cuDNN convolutions) and PyTorch
#      (bench/gpu_torch_workloads.py: eager, torch.compile, CUDA graph), and
#      prints a second table. A training benchmark that fails is reported and
#      the others still run; torch.compile gets what time is left (at most 90 s
#      per workload) and is reported n/a past it.
#
#   tools/gpu_check.sh [BUILD_DIR]        default: build/gpu-check
#   DAE_TORCH_PYTHON=/path/to/python3     the interpreter with torch (default: python3)
#
# It ends within 6 minutes: every step has a time limit and the whole run a
# deadline; a missing tool or a failed step stops it with one line saying which.
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${1:-build/gpu-check}
PYTHON=${DAE_TORCH_PYTHON:-python3}
JOBS=$(nproc 2>/dev/null || echo 8)
DEADLINE=${DAE_GPU_CHECK_SECONDS:-360}  # seconds for the whole script
export NVIDIA_TF32_OVERRIDE=0  # FP32 everywhere: no TF32 in cuBLAS, cuDNN or PyTorch
# cuDNN 9 opens its sub-libraries at run time: let it find them next to the toolkit's.
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:/usr/local/cuda/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

LOG=""  # the log of the current step, whose first errors a failure prints
exec 3>&2  # failures go to the original stderr even from a step whose output goes to a log
fail() {
  echo "gpu_check: FAILED: $*" >&3
  if [[ -n $LOG && -f $LOG ]]; then
    echo "gpu_check: $LOG, first errors (or last lines):" >&3
    grep -m 10 -E "error|Error|FAILED" "$LOG" >&3 || tail -n 10 "$LOG" >&3
  fi
  exit 1
}
step() { echo; echo "== $* (at ${SECONDS}s)"; }
# run LIMIT CMD...: CMD with at most LIMIT seconds (less when the deadline is closer).
run() {
  local limit=$1 left=$((DEADLINE - SECONDS))
  shift
  ((left > 0)) || fail "out of time before: $*"
  ((limit < left)) || limit=$left
  local rc=0
  timeout --kill-after=10 "$limit" "$@" || rc=$?
  ((rc != 124 && rc != 137)) || fail "timed out after ${limit}s: $*"
  ((rc == 0)) || fail "exit code $rc from: $*"
}
# run_soft LIMIT OUTFILE CMD...: like run, with CMD's output in OUTFILE, but a
# failure is reported (with its first errors) and added to BENCH_FAILED
# instead of stopping the check; returns non-zero then.
BENCH_FAILED=""
run_soft() {
  local limit=$1 out=$2 left=$((DEADLINE - SECONDS))
  shift 2
  if ((left <= 0)); then
    echo "  FAILED: out of time before: $*"
    BENCH_FAILED+="${BENCH_FAILED:+, }out of time ($(basename "$out"))"
    return 1
  fi
  ((limit < left)) || limit=$left
  ((limit >= 1)) || limit=1  # timeout 0 would mean no limit at all
  local rc=0
  timeout --kill-after=10 "$limit" "$@" >"$out" 2>&1 || rc=$?
  ((rc != 0)) || return 0
  local why="exit code $rc"
  ((rc != 124 && rc != 137)) || why="timed out after ${limit}s"
  echo "  FAILED ($why): $*"
  { grep -m 3 -E "error|Error" "$out" || tail -n 3 "$out"; } | sed 's/^/    /'
  BENCH_FAILED+="${BENCH_FAILED:+, }$(basename "$out" .txt) ($why)"
  return 1
}

step "prerequisites"
command -v cmake >/dev/null || fail "cmake is not on PATH"
if ! command -v nvcc >/dev/null; then
  [[ -x /usr/local/cuda/bin/nvcc ]] || fail "nvcc is not on PATH (and not in /usr/local/cuda/bin)"
  export PATH=/usr/local/cuda/bin:$PATH
fi
nvcc --version | tail -1
command -v nvidia-smi >/dev/null || fail "nvidia-smi is not on PATH: no NVIDIA driver"
run 30 nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
command -v "$PYTHON" >/dev/null || fail "$PYTHON not found (set DAE_TORCH_PYTHON to a python3 with torch)"
timeout 60 "$PYTHON" -c "import torch; print('torch', torch.__version__); assert torch.cuda.is_available()" ||
  fail "$PYTHON cannot import torch, or torch sees no GPU (set DAE_TORCH_PYTHON)"
mkdir -p "$BUILD"

step "configure: Release, sm_90"
LOG=$BUILD/configure.log
run 90 cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DDAE_CUDA=ON -DDAE_CUDA_ARCHITECTURES=90 \
  -DDAE_BUILD_TESTS=ON -DDAE_BUILD_BENCH=ON -DDAE_TORCH_PYTHON="$(command -v "$PYTHON")" >"$BUILD/configure.log" 2>&1
grep -E "^-- dae:" "$BUILD/configure.log" || true

step "build ($JOBS jobs; log $BUILD/build.log)"
LOG=$BUILD/build.log
run 200 cmake --build "$BUILD" -j "$JOBS" >"$BUILD/build.log" 2>&1

step "CUDA tests on the GPU"
LOG=""
TESTS="passed"
# A failing test does not stop the check: the benchmark still runs, the exit code says it.
if ! (cd "$BUILD" && run 150 ctest -R "cuda|parity: training cuda" --output-on-failure -j 4 --timeout 140); then
  TESTS="FAILED (see the ctest output above)"
fi

step "convolution benchmark: ours, cuBLAS, cuDNN"
run 60 "$BUILD/bench/dae_gpu_conv_bench" --iters 15 --warmup 3 --csv "$BUILD/gpu_conv_bench.csv" \
  >"$BUILD/gpu_conv_bench.txt"

step "PyTorch on the same shapes, and the table"
run 60 "$PYTHON" bench/gpu_torch_bench.py --ours "$BUILD/gpu_conv_bench.csv" --iters 15 --warmup 3 |
  tee "$BUILD/gpu_check_table.txt"

# Whole training steps (a few ms each here): 20 timed after 3 warm-up steps,
# a few seconds per run with the start-up (40 s at most); six runs.
step "training steps: dae bench w1 and w2 (our kernels, --cuda-graph, --conv-algo cudnn)"
rm -f "$BUILD"/dae_bench_*.txt
OURS=()  # the outputs of the runs that succeeded
for workload in w1 w2; do
  for variant in eager graph cudnn; do
    case $variant in
      eager) flags=() ;;
      graph) flags=(--cuda-graph) ;;
      cudnn) flags=(--conv-algo cudnn) ;;
    esac
    out=$BUILD/dae_bench_${workload}_$variant.txt
    if run_soft 40 "$out" "$BUILD/tools/dae" bench --device cuda --workload "$workload" --iters 20 --warmup 3 \
      ${flags[@]+"${flags[@]}"}; then
      OURS+=("$out")
      printf "  %s %-6s %s images/s (step %s ms)\n" "$workload" "$variant" \
        "$(awk '$1 == "images_per_s" {print $2}' "$out")" "$(awk '$1 == "step_ms_median" {print $2}' "$out")"
    fi
  done
done

# PyTorch's twins: eager and CUDA graphs take about 30 s together; torch.compile
# gets half of what is left then (keeping 60 s in hand), at most 90 s per
# workload, and is skipped (n/a) below 20 s.
step "PyTorch on the same training steps (eager, torch.compile, CUDA graph), and the table"
left=$((DEADLINE - SECONDS))
compile_limit=$(((left - 60) / 2))
((compile_limit <= 90)) || compile_limit=90
((compile_limit >= 20)) || compile_limit=0
echo "  torch.compile: ${compile_limit}s per workload (0: skipped, too little time left)"
if run_soft $((left - 5)) "$BUILD/gpu_workloads_table.txt" "$PYTHON" bench/gpu_torch_workloads.py --iters 20 \
  --warmup 3 --compile-timeout "$compile_limit" --csv "$BUILD/gpu_torch_workloads.csv" \
  --ours ${OURS[@]+"${OURS[@]}"}; then
  cat "$BUILD/gpu_workloads_table.txt"
fi

echo
echo "gpu_check: CUDA tests $TESTS; tables in $BUILD/gpu_check_table.txt and $BUILD/gpu_workloads_table.txt, raw" \
  "timings in $BUILD/gpu_conv_bench.txt and $BUILD/dae_bench_*.txt"
[[ $TESTS == passed ]] || fail "CUDA tests"
[[ -z $BENCH_FAILED ]] || fail "training benchmarks: $BENCH_FAILED"
echo "gpu_check: OK in ${SECONDS}s"
