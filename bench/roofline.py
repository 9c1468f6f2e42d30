#!/usr/bin/env python3
"""Roofline picture of our CPU kernels from a compare_torch.py JSON file.

    python3 bench/roofline.py RESULTS.json OUT.png

Left: the roofline. x is arithmetic intensity (FLOP per byte of memory
traffic if every operand moves once), y is GFLOP/s; the roof is
min(FMA peak, intensity x copy bandwidth), both measured in the same run.
Each convolution pass is one point (ours filled, PyTorch hollow), coloured
by pass. Right: the memory-bound rows (noise models, the perceptual
reduction) as GB/s, ours beside PyTorch, each with its ceiling (a bar: the
copy of the same size measured with it).
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

PASS_COLOURS = {"fwd": "tab:blue", "bwd_data": "tab:orange", "bwd_weight": "tab:green"}


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    with open(sys.argv[1]) as f:
        data = json.load(f)
    peak, copy = data["fma_peak"], data.get("copy_gbs")
    rows = data["rows"]
    conv = [r for r in rows if r.get("flop_per_byte")]
    memory = [r for r in rows if r["kind"] == "memory"]

    fig, (ax, bx) = plt.subplots(1, 2, figsize=(13, 5.2), gridspec_kw={"width_ratios": [1.35, 1]})
    xs = [r["flop_per_byte"] for r in conv] or [1.0]
    lo, hi = min(xs) / 2, max(xs) * 2
    if copy:
        ridge = peak / copy
        lo = min(lo, ridge / 4)
        grid = [lo * (hi / lo) ** (i / 200) for i in range(201)]
        ax.plot(grid, [min(peak, g * copy) for g in grid], color="black", lw=1.5)
        ax.annotate(f"copy {copy:.1f} GB/s", (lo * 1.2, lo * 1.2 * copy * 1.15), fontsize=8)
    ax.axhline(peak, color="black", lw=0.8, ls=":")
    ax.annotate(f"FMA peak {peak:.0f} GFLOP/s ({data['threads']} threads)", (hi / 60, peak * 1.05), fontsize=8)
    for r in conv:
        pass_name = r["row"].rsplit("/", 1)[-1]
        colour = PASS_COLOURS.get(pass_name, "tab:gray")
        if r.get("ours"):
            ax.scatter(r["flop_per_byte"], r["ours"], color=colour, s=22, zorder=3)
        if r.get("torch"):
            ax.scatter(r["flop_per_byte"], r["torch"], facecolors="none", edgecolors=colour, s=22, zorder=2)
    for name, colour in PASS_COLOURS.items():
        ax.scatter([], [], color=colour, s=22, label=f"{name} (ours filled, PyTorch hollow)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("FLOP per byte (input, weight and output moved once)")
    ax.set_ylabel("GFLOP/s")
    ax.set_title("Convolutions: dae-mnist, dae-rgb, VGG16 to relu3_3")
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(True, which="both", alpha=0.25)

    names = [r["row"].replace("perceptual reduction", "perceptual") for r in memory]
    pos = range(len(memory))
    bx.barh([p + 0.2 for p in pos], [r["ours"] or 0 for r in memory], height=0.4, label="ours", color="tab:blue")
    bx.barh([p - 0.2 for p in pos], [r["torch"] or 0 for r in memory], height=0.4, label="PyTorch",
            color="tab:gray")
    for p, r in zip(pos, memory):  # each row's ceiling: a copy of the same size, timed with it
        if r.get("ceiling"):
            bx.plot([r["ceiling"]] * 2, [p - 0.45, p + 0.45], color="black", lw=1.2)
    bx.plot([], [], color="black", lw=1.2, label="copy of the same size")
    bx.set_yticks(list(pos))
    bx.set_yticklabels(names, fontsize=8)
    bx.set_xlabel("GB/s (bytes each kernel must read and write)")
    bx.set_title("Memory-bound kernels")
    bx.legend(fontsize=8, loc="lower right")
    bx.grid(True, axis="x", alpha=0.25)
    fig.suptitle(f"dae-engine vs PyTorch {data['torch']} on this CPU ({data.get('time', '')})", fontsize=10)
    fig.tight_layout()
    fig.savefig(sys.argv[2], dpi=110)
    print(f"wrote {sys.argv[2]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
