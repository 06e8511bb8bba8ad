"""The README's accuracy table on the embedded default: methods × sparsities, from the cache.

    python -m bench.default_table [--methods magnitude,wanda,sparsegpt,krp] [--sparsities 0.3,0.5,0.7,0.875]

Runs what is not cached yet (the dense default first), then prints a Markdown table of
test accuracy and the end-to-end reconstruction error of the last encoder layer.
"""

from __future__ import annotations

import argparse

from bench.common import machine_line
from robustprune.device import resolve_device
from robustprune.pipeline import ensure_dense, prune
from robustprune.progress import TqdmProgress
from robustprune.prune import PruneConfig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--methods", default="magnitude,wanda,sparsegpt,krp")
    parser.add_argument("--sparsities", default="0.3,0.5,0.7,0.875")
    parser.add_argument("--device", default="auto")
    args = parser.parse_args()
    methods, sparsities = args.methods.split(","), [float(s) for s in args.sparsities.split(",")]
    dense = ensure_dense(device=args.device, progress=TqdmProgress())
    header = "| method | " + " | ".join(f"{s:.1%} acc / last-layer e2e err" for s in sparsities) + " |"
    lines = [f"MiniLM-L6 on rotten_tomatoes (400 test sentences), dense accuracy {dense.accuracy:.1%}; "
             f"{machine_line(resolve_device(args.device))}", "", header, "|---" * (len(sparsities) + 1) + "|"]
    for method in methods:
        cells = []
        for sparsity in sparsities:
            result = prune(PruneConfig(method, sparsity), device=args.device, progress=TqdmProgress())
            cells.append(f"{result.accuracy_sparse:.1%} / {result.layers[-1].reconstruction_error_e2e:.3f}")
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
