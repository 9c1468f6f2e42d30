#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds dae-engine and runs it.
#
#   tools/bootstrap.sh demo    install, build, train dae-mnist on Fashion-MNIST for one epoch
#   tools/bootstrap.sh test    install, build, run every test (the command CI runs)
#   tools/bootstrap.sh build   install and build only
#
# Builds (all in build/ under the checkout):
#   build/release   the CPU build, plus the CUDA backend compiled by nvcc for
#                   sm_80 and sm_90 when nvcc is present (it needs a GPU to run)
#   build/emu       the CUDA backend compiled against the CUDA emulator, so the
#                   whole cuda device path runs (and is tested) on the CPU
#   build/asan      (test) the unit tests under AddressSanitizer + UBSan
#   build/fuzz      (test) the libFuzzer targets (clang), each run for a bounded time
# Environment: JOBS (parallel build jobs, default: the core count).
set -euo pipefail

mode=${1:-test}
case "$mode" in demo|test|build) ;; *) echo "usage: $0 demo|test|build" >&2; exit 2 ;; esac
root=$(cd "$(dirname "$0")/.." && pwd)
jobs=${JOBS:-$(nproc)}

packages=(
  build-essential cmake pkg-config
  catch2 nlohmann-json3-dev libcli11-dev libstb-dev zlib1g-dev libboost-context-dev libbenchmark-dev
  python3 python3-numpy dataset-fashion-mnist
)
if [ "$mode" = test ]; then
  packages+=(python3-torch python3-torchvision python3-skimage chromium clang libomp-dev)
fi

install_missing() {
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "== installing: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
}

configure_and_build() {  # dir, [--target T...,] cmake args...
  local dir=$1
  shift
  local targets=()
  while [ "${1:-}" = --target ]; do targets+=(--target "$2"); shift 2; done
  echo "== building $dir ($*)"
  cmake -S "$root" -B "$root/$dir" -DCMAKE_BUILD_TYPE=Release "$@" > "$root/$dir.configure.log" 2>&1 ||
    { cat "$root/$dir.configure.log"; exit 1; }
  cmake --build "$root/$dir" -j "$jobs" "${targets[@]}"
}

install_missing
mkdir -p "$root/build"
configure_and_build build/release -DDAE_CUDA=AUTO

if [ "$mode" = demo ]; then
  exec "$root/build/release/tools/dae" train --data fashion-mnist --model dae-mnist --noise gaussian:sigma=0.3 \
    --loss mse --epochs 1 --out "$root/build/demo-run"
fi

if [ "$mode" = test ]; then
  start=$SECONDS
  configure_and_build build/emu -DDAE_CUDA=OFF -DDAE_CUDA_EMULATION=ON -DDAE_BUILD_BENCH=ON
  echo "== tests: CUDA emulation build (CPU, emulated CUDA, PyTorch parity, command line)"
  (cd "$root/build/emu" && ctest --output-on-failure -j "$jobs" --timeout 1500)
  echo "== tests: release build (unit tests; CUDA tests skip without a GPU)"
  (cd "$root/build/release" && ctest --output-on-failure -j "$jobs" -R "^unit:")
  echo "== benchmarks, quick mode (they run; the figures mean nothing here)"
  "$root/tools/run_benchmarks.sh" "$root/build/emu" --quick
  echo "== bench/compare_torch.py, quick mode (proves the side-by-side script runs; exit 77: no torch)"
  torch_python=$(sed -n 's/^DAE_TORCH_PYTHON:FILEPATH=//p' "$root/build/emu/CMakeCache.txt")
  if [ -n "$torch_python" ]; then
    "$torch_python" "$root/bench/compare_torch.py" --build "$root/build/emu" --quick --threads "$jobs"
  else
    echo "SKIP: no python3 with torch"
  fi
  configure_and_build build/asan --target dae_unit_tests --target dae_op_tests \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDAE_CUDA=OFF -DDAE_SANITIZE=address,undefined
  echo "== tests: unit tests under AddressSanitizer + UBSan"
  (cd "$root/build/asan" && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j "$jobs" -R "^(unit|ops):")
  CC=clang CXX=clang++ configure_and_build build/fuzz --target fuzz_safetensors --target fuzz_idx \
    --target fuzz_image --target fuzz_specs -DCMAKE_BUILD_TYPE=RelWithDebInfo -DDAE_CUDA=OFF -DDAE_BUILD_TESTS=OFF \
    -DDAE_BUILD_FUZZERS=ON
  echo "== fuzzing (bounded)"
  "$root/tests/fuzz/run_fuzzers.sh" "$root/build/fuzz" "${FUZZ_SECONDS:-45}"
  echo "== all tests passed in $(( (SECONDS - start) / 60 )) min"
fi
