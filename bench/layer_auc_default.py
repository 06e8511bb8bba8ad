"""Which layers carry the robustness loss on the embedded default: krp's per-layer AUC over calibration samples.

    python -m bench.layer_auc_default [--sparsity 0.875] [--recipes textbugger] [--n 100] [--seeds 3]
                                      [--output bench/results/layer-auc-default.csv]

The fine-tune of seed 0, krp at ``--sparsity`` with ``--seeds`` calibration samples (seeds 0..K-1), each
attacked with every recipe on the first ``--n`` test sentences (a sweep: cached runs of the default store,
the same as ``robustprune sweep``), then per attack run the per-layer AUC
(``robustprune.attack.layer_auc``): at each layer, how well the dense-sparse divergence tells the
examples that flip the sparse model only from the other attacked examples, with its 95 % DeLong
interval and Mann-Whitney p-value, on the adversarial and on the original texts, beside the run's
reconstruction error at that layer. Prints one Markdown table per recipe (the seeds side by side) and
writes every number to the CSV.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import pandas as pd


def layer_auc_rows(sparsity: float, recipes: tuple[str, ...], n: int, seeds: int) -> pd.DataFrame:
    from robustprune.attack.layer_auc import ensure_layer_auc
    from robustprune.store import RunStore
    from robustprune.sweep import SweepSpec, run_sweep

    spec = SweepSpec(methods=("krp",), sparsities=(sparsity,), recipes=recipes, num_examples=n, seeds=seeds,
                     seed_axis="calibration")
    result = run_sweep(spec)
    if result.failures:
        raise SystemExit(f"{len(result.failures)} runs of the sweep failed: {result.failures[0]}")
    store, rows = RunStore(), []
    for cell in result.table[result.table["method"] == "krp"].itertuples():
        auc = ensure_layer_auc(cell.attack_run_id, store)
        for layer in auc.layer_rows():
            rows.append({"recipe": cell.recipe, "seed": cell.seed, "sparsity": cell.sparsity,
                         "attack_run_id": cell.attack_run_id, "flipped_sparse_only": auc.positives,
                         "others": auc.negatives, **layer})
    return pd.DataFrame(rows)


def cell(auc: float, low: float, high: float, p: float) -> str:
    if math.isnan(auc):
        return "–"
    mark = "**" if p < 0.05 else ""
    return f"{mark}{auc:.2f}{mark} [{low:.2f}, {high:.2f}]"


def markdown(frame: pd.DataFrame) -> str:
    """Per recipe: a row per layer, per seed the AUC on the adversarial and the original texts [95 % interval] (bold:
    p < 0.05) and the reconstruction error."""
    parts = []
    for recipe, part in frame.groupby("recipe"):
        seeds = sorted(part["seed"].unique())
        counts = ", ".join(f"seed {seed}: {group['flipped_sparse_only'].iloc[0]} sparse-only flips, "
                           f"{group['others'].iloc[0]} others" for seed, group in part.groupby("seed"))
        header = "| layer | " + " | ".join(f"seed {seed}: adversarial | seed {seed}: original | seed {seed}: error"
                                           for seed in seeds) + " |"
        lines = [f"{recipe} ({counts})", "", header, "|" + "---|" * (1 + 3 * len(seeds))]
        for layer, rows in part.groupby("layer"):
            cells = []
            for seed in seeds:
                row = rows[rows["seed"] == seed].iloc[0]
                cells += [cell(row.auc_perturbed, row.auc_perturbed_low, row.auc_perturbed_high, row.p_perturbed),
                          cell(row.auc_original, row.auc_original_low, row.auc_original_high, row.p_original),
                          "–" if math.isnan(row.reconstruction_error) else f"{row.reconstruction_error:.3f}"]
            lines.append(f"| {layer} | " + " | ".join(cells) + " |")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sparsity", type=float, default=0.875)
    parser.add_argument("--recipes", default="textbugger", help="comma-separated (default textbugger)")
    parser.add_argument("--n", type=int, default=100, help="test sentences attacked (default 100)")
    parser.add_argument("--seeds", type=int, default=3, help="calibration samples (default 3)")
    parser.add_argument("--output", default="bench/results/layer-auc-default.csv")
    args = parser.parse_args()
    frame = layer_auc_rows(args.sparsity, tuple(args.recipes.split(",")), args.n, args.seeds)
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.output, index=False)
    print(markdown(frame))


if __name__ == "__main__":
    main()
