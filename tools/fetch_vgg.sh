#!/usr/bin/env bash
# Downloads torchvision's ImageNet-trained VGG16 weights and converts them for
# the perceptual loss:
#   tools/fetch_vgg.sh [OUT.safetensors]     (default: vgg16.safetensors)
# Needs internet access, curl and python3 with torch. The download is checked
# against the sha256 prefix that torchvision puts in the file name.
set -euo pipefail
out=${1:-vgg16.safetensors}
url=https://download.pytorch.org/models/vgg16-397923af.pth
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
command -v curl >/dev/null || { echo "fetch_vgg: error: curl is not installed" >&2; exit 1; }
echo "fetching $url"
if ! curl -fL --retry 2 --connect-timeout 15 -o "$tmp/vgg16.pth" "$url"; then
  echo "fetch_vgg: error: cannot download $url (no internet access?)." >&2
  echo "  Download it elsewhere and run: tools/convert_vgg.py vgg16-397923af.pth $out" >&2
  exit 1
fi
sum=$(sha256sum "$tmp/vgg16.pth" | cut -c1-8)
if [ "$sum" != 397923af ]; then
  echo "fetch_vgg: error: the download's sha256 starts with $sum, not 397923af: refusing it" >&2
  exit 1
fi
python=python3
for candidate in /usr/bin/python3 python3; do
  if "$candidate" -c "import torch" 2>/dev/null; then python=$candidate; break; fi
done
"$python" "$here/convert_vgg.py" "$tmp/vgg16.pth" "$out"
