#!/usr/bin/env bash
# Runs every fuzz target for a bounded time on a copy of its seed corpus.
#   tests/fuzz/run_fuzzers.sh BUILD_DIR [SECONDS_EACH]      (default 45)
# Exits non-zero on the first finding (libFuzzer writes the input as crash-*).
set -euo pipefail
build=$1
seconds=${2:-45}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for target in safetensors idx image specs; do
  mkdir -p "$work/$target"
  echo "== fuzz_$target for ${seconds}s"
  if ! "$build/tests/fuzz/fuzz_$target" -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=1024 \
    -artifact_prefix="$work/$target-" -print_final_stats=1 "$work/$target" "$here/corpus/$target" \
    > "$work/$target.log" 2>&1; then
    # The finding: the sanitizer's report (where it happened), then libFuzzer's input as Base64.
    grep -m1 -A40 -E "ERROR: (AddressSanitizer|UndefinedBehaviorSanitizer|libFuzzer)|runtime error" "$work/$target.log" || true
    tail -12 "$work/$target.log"
    exit 1
  fi
  tail -12 "$work/$target.log"
done
echo "== no findings"
