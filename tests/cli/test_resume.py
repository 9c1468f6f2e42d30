"""Exact resume (evaluation issue): a run stopped at step k and resumed gives
bit-identical weights, momentum buffers and metrics to an uninterrupted run.

Three ways to stop: --steps k then resume with the full --steps; --save-every
then resume from a mid-run checkpoint; and SIGINT (Ctrl-C) part-way, which must
write a final checkpoint and exit cleanly. The run shuffles, mixes two noise
kinds, uses momentum, weight decay and a cosine schedule, so every source of
state is exercised.

  test_resume.py PATH/TO/dae WORKDIR [--device cpu|cuda]
"""

import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import time

DAE, WORK = sys.argv[1], sys.argv[2]
DEVICE = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--device" else "cpu"
STEPS = 24


def tensors_bytes(path):
    """{name: raw bytes} of a safetensors file (a minimal reader, independent of the engine)."""
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    header.pop("__metadata__", None)
    return {k: raw[8 + n + v["data_offsets"][0]: 8 + n + v["data_offsets"][1]] for k, v in header.items()}


def metrics(path):
    # time_s and images_per_s differ between runs; everything else must not.
    out = []
    for line in open(path):
        e = json.loads(line)
        e.pop("time_s", None)
        e.pop("images_per_s", None)
        out.append(e)
    return out


def args(out, steps, extra=(), schedule="cosine"):
    return [DAE, "train", "--data", "synthetic", "--limit", "200", "--batch", "16", "--steps", str(steps),
            "--noise", "gaussian:sigma=0.2|mask:p=0.3", "--lr", "0.3", "--momentum", "0.9", "--weight-decay", "1e-4",
            "--lr-schedule", schedule, "--seed", "5", "--log-every", "1", "--eval-limit", "8", "--threads", "2",
            "--device", DEVICE, "--out", out, *extra]


def logged_steps(out):
    path = os.path.join(out, "metrics.jsonl")
    return sum(1 for _ in open(path)) if os.path.exists(path) else 0


def stop_part_way(out, how, after_steps, extra=()):
    """Starts a full run and stops it with signal `how` once `after_steps` steps are logged."""
    proc = subprocess.Popen(args(out, STEPS, extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 300
    while proc.poll() is None and time.time() < deadline and logged_steps(out) < after_steps:
        time.sleep(0.005)
    if proc.poll() is None:
        proc.send_signal(how)
    stdout, stderr = proc.communicate(timeout=300)
    return proc.returncode, stdout, stderr


def checkpoint_step(out):
    raw = open(os.path.join(out, "checkpoint.safetensors"), "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    return int(json.loads(raw[8:8 + n])["__metadata__"]["step"])


def main():
    if DEVICE.startswith("cuda"):
        info = subprocess.run([DAE, "info"], capture_output=True, text=True).stdout
        if "cuda_devices 0" in info or "cuda_backend none" in info:
            print("SKIP: no CUDA device (this build or machine has none)")
            return 77
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    failures = []

    def compare(out, reference_dir, label):
        reference = tensors_bytes(os.path.join(reference_dir, "checkpoint.safetensors"))
        got = tensors_bytes(os.path.join(out, "checkpoint.safetensors"))
        bad = [k for k in reference if got.get(k) != reference[k]]
        problems = []
        if bad or set(got) != set(reference):
            problems.append(f"tensors differ from the uninterrupted run: {bad[:4]}")
        if metrics(os.path.join(out, "metrics.jsonl")) != metrics(os.path.join(reference_dir, "metrics.jsonl")):
            problems.append("metrics.jsonl differs from the uninterrupted run")
        print(f"{'FAIL' if problems else 'ok  '} {label}")
        failures.extend(f"{label}: {p}" for p in problems)

    # The uninterrupted runs.
    full_cosine, full_step = os.path.join(WORK, "full-cosine"), os.path.join(WORK, "full-step")
    subprocess.run(args(full_cosine, STEPS), check=True, capture_output=True)
    subprocess.run(args(full_step, STEPS, schedule="step:every=5,gamma=0.7"), check=True, capture_output=True)

    # 1. --steps 10, then the same command with --steps 24 --resume (a schedule
    #    that does not depend on the total, so both runs share the first 10 steps).
    part = os.path.join(WORK, "steps-then-resume")
    subprocess.run(args(part, 10, schedule="step:every=5,gamma=0.7"), check=True, capture_output=True)
    # Resumed on one thread: the kernels' results do not depend on the thread count.
    subprocess.run(args(part, STEPS, ["--resume", os.path.join(part, "checkpoint.safetensors"), "--threads", "1"],
                        schedule="step:every=5,gamma=0.7"), check=True, capture_output=True)
    compare(part, full_step, "run --steps 10, then resume to 24 (on 1 thread instead of 2)")

    # 2. A crash (SIGKILL) after a --save-every checkpoint: resume from it.
    crash = os.path.join(WORK, "crash")
    code, _, _ = stop_part_way(crash, signal.SIGKILL, 10, ["--save-every", "8"])
    print(f"     crashed with exit {code} after the checkpoint of step {checkpoint_step(crash)}")
    subprocess.run(args(crash, STEPS, ["--save-every", "8", "--resume", os.path.join(crash, "checkpoint.safetensors")]),
                   check=True, capture_output=True)
    compare(crash, full_cosine, "SIGKILL after a --save-every checkpoint, then resume")

    # 3. SIGINT part-way: a clean exit with a final checkpoint, then resume.
    sig = os.path.join(WORK, "sigint")
    code, stdout, stderr = stop_part_way(sig, signal.SIGINT, 5)
    stopped = checkpoint_step(sig)
    clean = code == 0 and "interrupted at step" in stdout and 0 < stopped < STEPS
    print(f"{'ok  ' if clean else 'FAIL'} SIGINT: exit {code} with a checkpoint at step {stopped}")
    if not clean:
        failures.append(f"SIGINT: exit {code}, step {stopped}, output {stdout[-200:]!r} {stderr[-200:]!r}")
    subprocess.run(args(sig, STEPS, ["--resume", os.path.join(sig, "checkpoint.safetensors")]), check=True,
                   capture_output=True)
    compare(sig, full_cosine, "SIGINT part-way, then resume")

    for f in failures:
        print("FAIL", f)
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
