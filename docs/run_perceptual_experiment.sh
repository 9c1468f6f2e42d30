#!/usr/bin/env bash
# The experiment of docs/perceptual.md: dae-mnist trained on Fashion-MNIST
# with `mse` and with `mse+perceptual` (the real, normalised VGG-19 of the
# shared test data, layers relu1_2, relu2_2, relu3_1), the same budget, then
# both evaluated on the test set (PSNR, SSIM, perceptual distance).
#
#   docs/run_perceptual_experiment.sh [PATH/TO/dae] [VGG19_PTH] [OUT_DIR]
#
# Defaults: build/release/tools/dae, ../shared/data/vgg19_normalised_conv1_1-conv3_1.pth,
# build/perceptual-experiment. Takes about 30-45 minutes on 2 cores.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$here/..
dae=${1:-$root/build/release/tools/dae}
pth=${2:-$root/../shared/data/vgg19_normalised_conv1_1-conv3_1.pth}
out=${3:-$root/build/perceptual-experiment}
python=python3
for candidate in /usr/bin/python3 python3; do
  if "$candidate" -c "import torch" 2>/dev/null; then python=$candidate; break; fi
done
mkdir -p "$out"
"$python" "$root/tools/convert_vgg.py" "$pth" "$out/vgg19-normalised.safetensors"
vgg=$out/vgg19-normalised.safetensors
layers=relu1_2,relu2_2,relu3_1
common=(--data fashion-mnist --model dae-mnist --noise gaussian:sigma=0.3 --epochs 1 --batch 64 --lr 0.5
        --momentum 0.9 --seed 1 --log-every 20 --eval-limit 10000)
"$dae" train "${common[@]}" --loss mse --out "$out/mse"
# A control: the perceptual term also adds gradient, so does MSE alone catch up with a larger step?
"$dae" train "${common[@]}" --loss mse --lr 1.0 --out "$out/mse-lr1"
# The normalised VGG's features are large (its conv1_1 sees inputs x 255), so the
# perceptual term is weighted down to the pixel term's scale at the start of training.
"$dae" train "${common[@]}" --loss mse+perceptual --vgg "$vgg" --layers "$layers" --layer-weights 1,1,1 \
  --lambda-perc 0.001 --out "$out/mse-perceptual"
for run in mse mse-lr1 mse-perceptual; do
  "$dae" eval --checkpoint "$out/$run/checkpoint.safetensors" --data fashion-mnist --noise gaussian:sigma=0.3 \
    --vgg "$vgg" --layers "$layers" --layer-weights 1,1,1 --json "$out/$run/eval.json" | tee "$out/$run/eval.txt"
done
cp "$out/mse/samples.png" "$here/images/perceptual-samples-mse.png"
cp "$out/mse-perceptual/samples.png" "$here/images/perceptual-samples-mse-perceptual.png"
