"""Bad input to `dae` never crashes and never loses data (SPEC §6).

Each case runs the real binary and checks: a non-zero exit code (not a
signal: no crash, no core dump), stderr ending in one `dae: error:` line that
names the file, tensor or flag, and no partial or temporary file left behind;
an existing checkpoint is never replaced by a broken run.

  test_bad_input.py PATH/TO/dae WORKDIR
"""

import os
import shutil
import struct
import subprocess
import sys

DAE, WORK = sys.argv[1], sys.argv[2]
FAILURES = []


def run(args, expect_code, must_contain, case):
    proc = subprocess.run([DAE] + args, capture_output=True, text=True, timeout=300)
    lines = [l for l in proc.stderr.replace("\r", "\n").splitlines() if l.strip()]
    last = lines[-1] if lines else ""
    problems = []
    if proc.returncode < 0:
        problems.append(f"killed by signal {-proc.returncode}")
    if proc.returncode != expect_code:
        problems.append(f"exit code {proc.returncode}, expected {expect_code}")
    if not last.startswith("dae: error:"):
        problems.append(f"last stderr line is not a 'dae: error:' line: {last!r}")
    errors = [l for l in lines if "error" in l]
    if len(errors) != 1:
        problems.append(f"{len(errors)} error lines, expected one: {errors}")
    for text in must_contain:
        if text not in last:
            problems.append(f"message does not contain {text!r}: {last!r}")
    status = "ok  " if not problems else "FAIL"
    print(f"{status} {case}: {last}")
    for p in problems:
        print(f"       {p}")
    if problems:
        FAILURES.append(case)


def safetensors_file(path, tensors):
    """A minimal writer (independent of the engine's): {name: (shape, list of floats)}."""
    import json
    header, data, offset = {}, b"", 0
    for name, (shape, values) in tensors.items():
        blob = struct.pack(f"<{len(values)}f", *values)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [offset, offset + len(blob)]}
        data += blob
        offset += len(blob)
    text = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)


def leftovers(folder):
    return sorted(n for n in os.listdir(folder) if ".tmp" in n) if os.path.isdir(folder) else []


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    out = os.path.join(WORK, "run")
    base = ["train", "--data", "synthetic", "--limit", "64", "--batch", "16", "--steps", "2", "--eval-limit", "8",
            "--threads", "1", "--out", out]

    run(["train", "--frobnicate", "--out", out], 2, ["--frobnicate"], "unknown flag")
    run(["train", "--data", "synthetic"], 2, ["--out"], "missing required flag")
    run(["train", "--steps", "abc", "--out", out], 2, ["--steps"], "flag value of the wrong type")
    run(["transmogrify"], 2, ["transmogrify"], "unknown subcommand")
    run(base + ["--noise", "gaussian:sigma=-0.5"], 1, ["sigma=-0.5"], "sigma < 0")
    run(base + ["--noise", "speckle"], 1, ["speckle"], "unknown noise kind")
    run(base + ["--loss", "l1"], 1, ["l1"], "unknown loss")
    run(base + ["--model", "dae-huge"], 1, ["dae-huge"], "unknown model")
    run(base + ["--device", "tpu"], 1, ["tpu"], "unknown device")
    run(base + ["--data", os.path.join(WORK, "no-such-folder")], 1, ["no-such-folder"], "missing data folder")
    missing = os.path.join(WORK, "missing.safetensors")
    run(base + ["--init", missing], 1, [missing], "missing init file")

    good = os.path.join(WORK, "tiny.safetensors")
    safetensors_file(good, {"encoder.0.weight": ([32, 1, 3, 3], [0.1] * 288)})
    with open(good, "rb") as f:
        raw = f.read()
    truncated = os.path.join(WORK, "truncated.safetensors")
    with open(truncated, "wb") as f:
        f.write(raw[: len(raw) - 100])
    run(base + ["--init", truncated], 1, [truncated, "truncated"], "truncated safetensors")
    garbage = os.path.join(WORK, "garbage.safetensors")
    with open(garbage, "wb") as f:
        f.write(struct.pack("<Q", 20) + b"{this is not json!!}")
    run(base + ["--init", garbage], 1, [garbage, "JSON"], "corrupt safetensors header")
    wrong = os.path.join(WORK, "wrong-shape.safetensors")
    safetensors_file(wrong, {"encoder.0.weight": ([16, 1, 3, 3], [0.1] * 144)})
    run(base + ["--init", wrong], 1, [wrong, "encoder.0.weight", "[16, 1, 3, 3]"], "wrong tensor shape for the model")
    run(base + ["--init", good], 1, [good, "missing tensor 'encoder.0.bias'"], "tensor missing from the file")
    run(base + ["--resume", good], 1, [good, "not a training checkpoint"], "resume from plain weights")

    # A finished run, then a run that diverges into the same folder: the good checkpoint survives.
    ok = subprocess.run([DAE] + base, capture_output=True, text=True, timeout=300)
    if ok.returncode != 0:
        print("FAIL reference run:", ok.stderr)
        FAILURES.append("reference run")
    ckpt = os.path.join(out, "checkpoint.safetensors")
    with open(ckpt, "rb") as f:
        before = f.read()
    run(base + ["--lr", "1e30", "--steps", "20"], 1, ["loss became", "checkpoint"], "NaN loss")
    with open(ckpt, "rb") as f:
        after = f.read()
    if before != after:
        print("FAIL the diverged run replaced the good checkpoint")
        FAILURES.append("checkpoint kept")
    run(base + ["--resume", ckpt, "--lr", "0.3"], 1, [ckpt, "lr"], "resume with different settings")
    if leftovers(out) or leftovers(WORK):
        print("FAIL temporary files left behind:", leftovers(out) + leftovers(WORK))
        FAILURES.append("leftovers")

    print(f"{len(FAILURES)} failure(s)")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
