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
  packages+=(python3-torch python3-torchvision python3-skimage)
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

configure_and_build() {  # dir, cmake args...
  local dir=$1
  shift
  echo "== building $dir ($*)"
  cmake -S "$root" -B "$root/$dir" -DCMAKE_BUILD_TYPE=Release "$@" > "$root/$dir.configure.log" 2>&1 ||
    { cat "$root/$dir.configure.log"; exit 1; }
  cmake --build "$root/$dir" -j "$jobs"
}

install_missing
mkdir -p "$root/build"
configure_and_build build/release -DDAE_CUDA=AUTO

if [ "$mode" = demo ]; then
  exec "$root/build/release/tools/dae" train --data fashion-mnist --model dae-mnist --noise gaussian:sigma=0.3 \
    --loss mse --epochs 1 --out "$root/build/demo-run"
fi

if [ "$mode" = test ]; then
  configure_and_build build/emu -DDAE_CUDA=OFF -DDAE_CUDA_EMULATION=ON
  echo "== tests: CUDA emulation build (CPU, emulated CUDA, PyTorch parity, command line)"
  (cd "$root/build/emu" && ctest --output-on-failure -j "$jobs")
  echo "== tests: release build (unit tests; CUDA tests skip without a GPU)"
  (cd "$root/build/release" && ctest --output-on-failure -j "$jobs" -R "^unit:")
fi
