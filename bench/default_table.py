"""The README's accuracy table on the embedded default: methods × sparsities over seeds, from the cache.

    python -m bench.default_table [--methods magnitude,wanda,sparsegpt,krp] [--sparsities 0.5,0.7]
                                  [--seeds 3] [--structured kprune,structured-magnitude] [--output FILE]

Each seed is a dense start of its own (the fine-tune's seed 0, 1, 2: one fine-tune does
not reproduce across machines, and method orderings moved with it), pruned with the
default settings. Runs what is not cached yet, then prints a Markdown table of test
accuracy and the end-to-end reconstruction error of the last encoder layer: the mean over
the seeds, and the range (min–max) beside it, and how often each method came first.
"""

from __future__ import annotations

import argparse
import statistics

from bench.common import machine_line
from robustprune.device import resolve_device
from robustprune.finetune import FinetuneConfig
from robustprune.pipeline import ensure_dense, prune
from robustprune.progress import TqdmProgress
from robustprune.prune import PruneConfig


def spread(values: list[float], percent: bool) -> str:
    text = "{:.1%}" if percent else "{:.3f}"
    mean = statistics.mean(values)
    if len(values) == 1:
        return text.format(mean)
    return f"{text.format(mean)} ({text.format(min(values))}–{text.format(max(values))})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--methods", default="magnitude,wanda,sparsegpt,krp")
    parser.add_argument("--sparsities", default="0.5,0.7")
    parser.add_argument("--seeds", type=int, default=3, help="fine-tune seeds 0..K-1 (dense starts)")
    parser.add_argument("--structured", default="kprune,structured-magnitude",
                        help="structured methods at --flops-reduction (empty: none)")
    parser.add_argument("--flops-reduction", type=float, default=0.5)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--output", default=None)
    args = parser.parse_args()
    methods, sparsities = args.methods.split(","), [float(s) for s in args.sparsities.split(",")]
    seeds = range(args.seeds)
    progress = TqdmProgress()
    dense = [ensure_dense(config=FinetuneConfig(seed=seed), device=args.device, progress=progress) for seed in seeds]
    accuracy: dict[tuple, list[float]] = {}
    error: dict[tuple, list[float]] = {}
    for seed, start in zip(seeds, dense):
        for method in methods:
            for sparsity in sparsities:
                result = prune(PruneConfig(method, sparsity), finetune_config=FinetuneConfig(seed=seed),
                               device=args.device, progress=progress)
                accuracy.setdefault((method, sparsity), []).append(result.accuracy_sparse)
                error.setdefault((method, sparsity), []).append(result.layers[-1].reconstruction_error_e2e)
    header = "| method | " + " | ".join(f"{s:.1%}: accuracy | {s:.1%}: last-layer e2e error" for s in sparsities)
    lines = [f"MiniLM-L6 on rotten_tomatoes (400 test sentences), {len(seeds)} fine-tune seeds (dense accuracy "
             f"{spread([d.accuracy for d in dense], True)}); mean (min–max) over the seeds; "
             f"{machine_line(resolve_device(args.device))}", "", header + " |",
             "|---" * (2 * len(sparsities) + 1) + "|"]
    for method in methods:
        cells = [f"{spread(accuracy[method, s], True)} | {spread(error[method, s], False)}" for s in sparsities]
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    lines += ["", "Which method had the best accuracy, per seed:"]
    for sparsity in sparsities:
        winners = [max(methods, key=lambda m: accuracy[m, sparsity][index]) for index in range(len(seeds))]
        lowest = [min(methods, key=lambda m: error[m, sparsity][index]) for index in range(len(seeds))]
        lines.append(f"- {sparsity:.1%}: best accuracy {', '.join(winners)}; lowest last-layer error "
                     f"{', '.join(lowest)} (seeds {', '.join(map(str, seeds))})")
    if args.structured:
        from robustprune.structured import KPruneConfig
        from robustprune.structured.runs import prune_structured

        lines += ["", f"Structured, {args.flops_reduction:.0%} of the FLOPs removed (mean (min–max) test accuracy):", ""]
        for method in args.structured.split(","):
            values = [prune_structured(method, KPruneConfig(flops_reduction=args.flops_reduction),
                                       finetune_config=FinetuneConfig(seed=seed), device=args.device,
                                       progress=progress).accuracy_sparse for seed in seeds]
            lines.append(f"- {method}: {spread(values, True)}")
    table = "\n".join(lines)
    print(table)
    if args.output:
        with open(args.output, "w") as handle:
            handle.write(table + "\n")


if __name__ == "__main__":
    main()
