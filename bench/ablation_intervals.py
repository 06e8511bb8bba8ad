"""The ablation's readings with the intervals the tool now prints, from the counts its CSVs kept.

    python -m bench.ablation_intervals [--out bench/results/ablation-intervals.md]

The ablation (``bench/robustness_ablation.py``) was run on another machine's store: its CSVs
keep each attack's counts (robust = TextAttack's failed attacks, out of the sentences
attacked) but not the per-sentence outcomes, which went with that store. Without them the
pairs cannot be matched, so every difference here is the *unpaired* one: Newcombe's hybrid
score interval (``robustprune.stats.newcombe_unpaired_difference``) with Fisher's exact p, on
the same 100 sentences. On paired data with positively correlated outcomes (as a pruned model
and its dense start are) the unpaired interval is wider than the paired one would be: a
difference it calls significant is one, while one it leaves open might be decided by the
paired analysis — which the frontier runs (``bench.frontier_default``) make on this machine.
Each calibration seed is its own row: pooling three samples of the same 100 sentences as 300
would count every sentence three times.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

RESULTS = Path(__file__).resolve().parent / "results"
SOURCES = ("robustness-ablation.csv", "robustness-ablation-seeds.csv", "robustness-by-sparsity.csv")


def comparison_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Every pruned row against the unpruned fine-tune and against its own dense start, same recipe."""
    from robustprune.frontier.verdict import decide
    from robustprune.stats import wilson_interval
    from robustprune.stats.compare import unpaired_difference
    from robustprune.stats.text import difference_text

    dense = {(row.dense_start, row.recipe): row for row in frame[frame["method"] == "dense"].itertuples()}
    rows = []
    for row in frame[frame["method"] != "dense"].itertuples():
        robust = int(row.failed)
        low, high = wilson_interval(robust, int(row.attacked))
        paper = str(row.setup).startswith("paper preset")
        found = {"dense start": row.dense_start, "configuration": row.method + (" (paper setup)" if paper else ""),
                 "sparsity": f"{row.sparsity:.1%}", "recipe": row.recipe, "seed": row.seed,
                 "under attack": f"{robust}/{int(row.attacked)} ({low:.0%}–{high:.0%})",
                 "collapsed": bool(row.collapsed)}
        for label, start in (("vs its dense start", row.dense_start), ("vs the fine-tune", "finetune")):
            reference = dense.get((start, row.recipe))
            if reference is None:
                found[label] = ""
                continue
            difference, lower, upper, p_value = unpaired_difference(robust, int(row.attacked), int(reference.failed),
                                                                    int(reference.attacked))
            found[label] = difference_text(difference, lower, upper, p_value, paired=False)
            if label == "vs its dense start":
                found["verdict (margin 5)"] = decide(difference, lower, upper, int(row.attacked), 0.05,
                                                     collapsed=bool(row.collapsed)).verdict
        rows.append(found)
    return pd.DataFrame(rows)


def calibration_contrast(frame: pd.DataFrame) -> pd.DataFrame:
    """The paper's setup against krp+refit from the same soup with the same calibration seed: the two differ only
    in the calibration set's size (512 texts against 128), the part the ablation's reading called decisive."""
    from robustprune.stats.compare import unpaired_difference
    from robustprune.stats.text import difference_text

    soup = frame[(frame["dense_start"] == "soup") & (frame["method"] == "krp+refit")]
    paper = soup[soup["setup"].astype(str).str.startswith("paper preset")]
    small = soup[~soup["setup"].astype(str).str.startswith("paper preset")]
    rows = []
    for row in paper.itertuples():
        match = small[(small["seed"] == row.seed) & (small["sparsity"] == row.sparsity) & (small["recipe"] == row.recipe)]
        if match.empty:
            continue
        other = next(match.itertuples())
        difference, lower, upper, p_value = unpaired_difference(int(row.failed), int(row.attacked),
                                                                int(other.failed), int(other.attacked))
        rows.append({"sparsity": f"{row.sparsity:.1%}", "recipe": row.recipe, "seed": row.seed,
                     "512 texts (paper setup)": f"{int(row.failed)}/{int(row.attacked)}",
                     "128 texts": f"{int(other.failed)}/{int(other.attacked)}",
                     "difference": difference_text(difference, lower, upper, p_value, paired=False)})
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=None, help="write the tables here (Markdown)")
    args = parser.parse_args(argv)
    parts = []
    for name in SOURCES:
        frame = pd.read_csv(RESULTS / name)
        parts.append(f"## {name}\n\n{comparison_rows(frame).to_markdown(index=False)}\n")
        if name == "robustness-ablation-seeds.csv":
            parts.append("### The paper's setup against krp+refit, same soup and calibration seed: 512 calibration "
                         f"texts against 128\n\n{calibration_contrast(frame).to_markdown(index=False)}\n")
    text = ("# The ablation with intervals (unpaired: the per-sentence outcomes stayed in another store)\n\n"
            "`python -m bench.ablation_intervals`: each pruned configuration's accuracy under attack (robust / "
            "attacked, Wilson 95 %) and its difference from its dense start and from the unpruned fine-tune, in "
            "points: Newcombe's hybrid score interval (unpaired) and Fisher's exact p; verdict against the dense "
            "start with the frontier's rule (`robustprune.frontier.verdict.decide`: kept when the interval ends above −5 "
            "points, lost when it ends below 0 or the model collapsed).\n\n"
            + "\n".join(parts))
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
