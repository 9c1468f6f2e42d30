"""SGD parity: the engine's SGD against torch.optim.SGD on every option combination.

  sgd_parity.py --driver PATH/TO/sgd_driver --workdir DIR
"""

import argparse
import itertools
import os
import subprocess
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import safetensors_io  # noqa: E402

STEPS = 5
# |ours - torch| <= ATOL + RTOL * |torch|: torch's CPU add(alpha=) fuses the
# multiply-add, the engine does not, so values differ by an ulp or so.
RTOL, ATOL = 1e-5, 1e-6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--driver", required=True)
    ap.add_argument("--workdir", required=True)
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    rng = np.random.default_rng(3)
    failures = 0
    combos = itertools.product([0.1, 0.01], [0.0, 0.9], [0.0, 0.3], [0.0, 1e-2], [False, True])
    for i, (lr, momentum, dampening, weight_decay, nesterov) in enumerate(combos):
        if nesterov and (momentum == 0.0 or dampening != 0.0):
            continue  # torch rejects these, and so does the engine
        p0 = rng.standard_normal(1003).astype(np.float32)  # odd size: no vector-width luck
        grads = [rng.standard_normal(1003).astype(np.float32) for _ in range(STEPS)]
        tensors = {"param": p0}
        tensors.update({f"grad.{k}": g for k, g in enumerate(grads)})
        meta = {"lr": repr(lr), "momentum": repr(momentum), "dampening": repr(dampening),
                "weight_decay": repr(weight_decay), "nesterov": "1" if nesterov else "0"}
        src, dst = os.path.join(args.workdir, f"in{i}.safetensors"), os.path.join(args.workdir, f"out{i}.safetensors")
        safetensors_io.save(src, tensors, meta)
        subprocess.run([args.driver, src, dst], check=True)
        ours, _ = safetensors_io.load(dst)

        p = torch.nn.Parameter(torch.from_numpy(p0.copy()))
        opt = torch.optim.SGD([p], lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                              nesterov=nesterov)
        for g in grads:
            p.grad = torch.from_numpy(g.copy())
            opt.step()
        ref = p.detach().numpy().astype(np.float64)
        def share(a, b):  # worst error as a share of the tolerance
            return np.max(np.abs(a - b) / (ATOL + RTOL * np.abs(b)))

        err = share(ours["param"], ref)
        buf_err = 0.0
        if momentum > 0:
            ref_buf = opt.state[p]["momentum_buffer"].numpy().astype(np.float64)
            buf_err = share(ours["momentum_buffer"], ref_buf)
        ok = err <= 1.0 and buf_err <= 1.0
        failures += not ok
        print(f"{'ok  ' if ok else 'FAIL'} lr={lr} momentum={momentum} dampening={dampening} "
              f"weight_decay={weight_decay} nesterov={nesterov}: worst error {err:.2f}x the tolerance (buffer {buf_err:.2f}x)")
    print(f"{failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
