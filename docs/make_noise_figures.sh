#!/usr/bin/env bash
# Regenerates the pictures of docs/noise.md with `dae corrupt`:
#   docs/make_noise_figures.sh [PATH/TO/dae]
# Source image: docs/images/chelsea.png (scikit-image's "chelsea", CC0, cropped
# and downscaled to 192x144).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dae=${1:-$here/../build/release/tools/dae}
img=$here/images
for entry in \
    "gaussian gaussian:sigma=0.2" \
    "saltpepper saltpepper:amount=0.1,salt=0.5" \
    "saltpepper-shared saltpepper:amount=0.1,per_channel=0" \
    "mask mask:p=0.25" \
    "mask-shared mask:p=0.25,per_channel=0" \
    "block block:size=32,count=3"; do
  set -- $entry
  "$dae" corrupt --noise "$2" --seed 7 --input "$img/chelsea.png" \
    --output "$img/noise-$1.png" --mask-output "$img/noise-$1-mask.png"
done
