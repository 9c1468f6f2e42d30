#!/usr/bin/env python3
"""PyTorch reference results for the op harness's dumped cases.

    torch_reference.py DIR

For every DIR/NNNN-op.case.safetensors written by `dae_op_harness --dump`,
runs the op in PyTorch and writes DIR/NNNN-op.torch.safetensors holding
`output` and `grad.<input>` for every differentiable input.

The inputs are the dumped float32 values, computed on in float64 so that the
reference carries no rounding of its own. The op is the Python expression
the op table declares for the family (metadata "torch"), evaluated with
torch, F (torch.nn.functional), each input by name, each parameter by name,
`inputs` (the inputs in order) and `output_shape`. The expressions come from
our own table, written by our own harness; nothing else is evaluated.

Exit status: 0 when every case ran, 1 on an error, 77 (the test is skipped)
when this interpreter has no torch.
"""

import glob
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))

SKIP = 77


def parse_number(text):
    """Parameters are written as exact decimals; integers without a fraction."""
    try:
        return int(text)
    except ValueError:
        return float(text)


def run_case(torch, safetensors_io, path):
    tensors, meta = safetensors_io.load(path)
    names = [n for n in meta["inputs"].split(",") if n]
    differentiable = {n for n in meta["differentiable"].split(",") if n}
    output_shape = tuple(int(d) for d in meta["output_shape"].split(",") if d)

    scope = {"torch": torch, "F": torch.nn.functional, "output_shape": output_shape}
    for key, value in meta.items():
        if key.startswith("param."):
            scope[key[len("param."):]] = parse_number(value)
    inputs = []
    for name in names:
        t = torch.from_numpy(tensors["input." + name]).to(torch.float64)
        t.requires_grad_(name in differentiable)
        scope[name] = t
        inputs.append(t)
    scope["inputs"] = inputs

    output = eval(meta["torch"], scope)  # noqa: S307 (our own table's expression)
    if tuple(output.shape) != output_shape:
        raise ValueError(f"{meta['label']}: torch output shape {tuple(output.shape)}, declared {output_shape}")
    results = {"output": output.detach()}
    if differentiable:
        grad_output = torch.from_numpy(tensors["grad_output"]).to(torch.float64)
        output.backward(grad_output)
        for name, t in zip(names, inputs):
            if name in differentiable:
                if t.grad is None:
                    raise ValueError(f"{meta['label']}: torch computed no gradient for '{name}'")
                results["grad." + name] = t.grad
    safetensors_io.save(path.replace(".case.safetensors", ".torch.safetensors"), results,
                        {"label": meta["label"], "torch_version": torch.__version__})


def main(argv):
    if len(argv) != 2:
        print("usage: torch_reference.py DIR", file=sys.stderr)
        return 1
    try:
        import numpy  # noqa: F401 (safetensors_io needs it)
        import torch
    except ImportError as error:
        print(f"SKIPPED: {sys.executable} cannot import {error.name}; the PyTorch parity check needs torch and numpy",
              file=sys.stderr)
        return SKIP
    import safetensors_io
    torch.set_num_threads(1)  # the cases are tiny; threads only add overhead
    paths = sorted(glob.glob(os.path.join(argv[1], "*.case.safetensors")))
    if not paths:
        print(f"torch_reference.py: no *.case.safetensors in {argv[1]} (run dae_op_harness --dump first)",
              file=sys.stderr)
        return 1
    for path in paths:
        try:
            run_case(torch, safetensors_io, path)
        except Exception as error:  # name the case, then fail
            print(f"torch_reference.py: {os.path.basename(path)}: {error}", file=sys.stderr)
            return 1
    print(f"wrote PyTorch results for {len(paths)} cases (torch {torch.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
