#!/usr/bin/env bash
# Runs the Google Benchmark programs of a build (configured with -DDAE_BUILD_BENCH=ON).
#   tools/run_benchmarks.sh BUILD_DIR [--quick] [--threads T] [extra benchmark flags...]
# --quick runs every benchmark once, briefly, to prove it works (CI); the
# figures are meaningless then. Without it: repetitions and medians.
set -euo pipefail
build=$1
shift
quick=0
threads=$(nproc)
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --threads) threads=$2; shift ;;
    *) extra+=("$1") ;;
  esac
  shift
done
shopt -s nullglob
programs=("$build"/bench/dae_bench_*)
[ ${#programs[@]} -gt 0 ] || { echo "run_benchmarks: no benchmark programs in $build/bench (configure with -DDAE_BUILD_BENCH=ON)" >&2; exit 1; }
for program in "${programs[@]}"; do
  [ -x "$program" ] || continue
  echo "== $(basename "$program") (threads $threads)"
  if [ $quick -eq 1 ]; then
    "$program" --threads="$threads" --benchmark_min_time=0.001 "${extra[@]}" | tail -n +4
  else
    "$program" --threads="$threads" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true "${extra[@]}"
  fi
done
