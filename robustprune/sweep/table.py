"""The robust-pruning paper's table from a sweep's cached runs, and its summary over seeds.

One row per (dense start, seed, method, budget, recipe): TextAttack's summary of the attack
run (counts, clean accuracy and accuracy under attack on the *same* attacked sentences,
success rate, perturbed words, queries, seconds) beside the attacked model's accuracy on
the whole test split, and whether the model collapsed (``robustprune.collapse``: its
accuracy under attack is then no robustness). Each accuracy carries its Wilson interval and
each pruned row its difference from the dense start with a 95 % interval and p-value
(``comparisons.py``). ``summary_over_seeds`` gives the mean and the spread (min, max,
standard deviation) over the K seeds, with K stated, and, given the store, the pooled
difference from the dense start with its bootstrap interval.
"""

from __future__ import annotations

import math

import pandas as pd

from robustprune.store import PRUNING_KINDS, RunStore
from robustprune.stats.text import difference_text, interval_text
from robustprune.sweep.comparisons import (COMPARISON_COLUMNS, OutcomeReader, comparison_columns, dense_attacks,
                                           pooled_columns)
from robustprune.sweep.plan import SweepPlan

COLUMNS = ["dense_start", "seed", "method", "sparsity", "recipe", "attacked", "succeeded", "failed", "skipped",
           "clean_accuracy", "accuracy_under_attack", "attack_success_rate", "avg_perturbed_word_percent",
           "avg_queries", "seconds", "test_accuracy", "test_examples", "collapsed", "collapse_reason", "model_run_id",
           "attack_run_id", *COMPARISON_COLUMNS]
SPREAD_METRICS = ("clean_accuracy", "accuracy_under_attack", "attack_success_rate", "test_accuracy")


def _test_accuracy(record, dense) -> tuple[float, int]:
    """The attacked model's accuracy on the whole test split, and that split's size (its dense start's)."""
    size = dense.summary.get("test_examples", 0) if dense is not None else 0
    summary = record.summary
    if record.kind in PRUNING_KINDS:
        return summary["accuracy_sparse"], size
    return summary.get("soup_test_accuracy", summary.get("accuracy")), size


def model_collapse(model_record, attack_record):
    """The collapse check of an attacked model (``robustprune.collapse``): on the whole test split when its run
    recorded the predictions (pruning runs; fine-tunes and soups made since they record them), else on the
    attacked sentences."""
    from robustprune.prune.results import recorded_collapse

    if model_record is not None:
        check = recorded_collapse(model_record.summary)
        if check is not None:
            return check
    if attack_record is None:
        return None
    from robustprune.attack.records import AttackResult
    from robustprune.collapse import check_predictions

    result = AttackResult.load(attack_record.directory / "attack")
    model = result.summary.attacked_model
    predictions = [getattr(example, f"{model}_label_original") for example in result.examples]
    return check_predictions(predictions, [example.label for example in result.examples], texts="attacked texts")


def sweep_table(plan: SweepPlan, store: RunStore) -> pd.DataFrame:
    """One row per planned (model, recipe); a row whose runs are not (all) cached has empty numbers."""
    return grid_table(plan.rows, store)


def grid_table(grid_rows, store: RunStore) -> pd.DataFrame:
    """``sweep_table`` of these ``GridRow``s."""
    rows = []
    dense_attack_ids, outcomes = dense_attacks(grid_rows), OutcomeReader(store)
    for row in grid_rows:
        attack = store.get(row.attack_run_id)
        model = store.get(row.model_run_id)
        test_accuracy, test_examples = (_test_accuracy(model, store.get(row.dense_run_id)) if model is not None
                                        else (math.nan, 0))
        numbers = {}
        if attack is not None:
            summary = attack.summary["summary"]
            numbers = {"attacked": summary["num_examples"], "succeeded": summary["successful_attacks"],
                       "failed": summary["failed_attacks"], "skipped": summary["skipped_attacks"],
                       "clean_accuracy": summary["clean_accuracy"],
                       "accuracy_under_attack": summary["accuracy_under_attack"],
                       "attack_success_rate": summary["attack_success_rate"],
                       "avg_perturbed_word_percent": summary["avg_perturbed_word_percent"],
                       "avg_queries": summary["avg_num_queries"], "seconds": summary["wall_seconds"]}
        check = model_collapse(model, attack)
        rows.append({"dense_start": row.dense_start, "seed": row.seed, "method": row.method, "sparsity": row.budget,
                     "recipe": row.recipe, **numbers, "test_accuracy": test_accuracy, "test_examples": test_examples,
                     "collapsed": None if check is None else check.collapsed,
                     # why it collapsed; or, when it was not called collapsed on too few texts, why not
                     "collapse_reason": None if check is None else (check.reason or check.caveat),
                     "model_run_id": row.model_run_id, "attack_run_id": row.attack_run_id,
                     **comparison_columns(row, dense_attack_ids.get((row.dense_run_id, row.recipe)), outcomes)})
    return pd.DataFrame(rows, columns=COLUMNS)


def summary_over_seeds(table: pd.DataFrame, store: RunStore | None = None) -> pd.DataFrame:
    """Mean, min, max and standard deviation over seeds of each (dense start, method, budget, recipe); with
    ``store``, the pooled difference from the dense start and its interval (``comparisons.pooled_columns``)."""
    keys = ["dense_start", "method", "sparsity", "recipe"]
    grouped = table.groupby(keys, sort=False, dropna=False)
    frame = grouped.size().rename("seeds").reset_index()
    for metric in SPREAD_METRICS:
        stats = grouped[metric].agg(["mean", "min", "max", "std"]).reset_index(drop=True)
        for stat in ("mean", "min", "max", "std"):
            frame[f"{metric}_{stat}"] = stats[stat].values
    if store is not None:
        frame = pd.concat([frame, pd.DataFrame(pooled_columns(table, store, keys))], axis=1)
    return frame


def markdown_table(table: pd.DataFrame) -> str:
    """The table as people read it: ids left out, each accuracy with its interval, each difference from the dense
    start in points with its interval and p, and a collapsed model's reason under the table (and, for a model near
    the majority rate on too few texts to call it collapsed, why it was not)."""
    shown = table.drop(columns=["model_run_id", "attack_run_id", "collapse_reason", *COMPARISON_COLUMNS])
    for metric in ("clean_accuracy", "accuracy_under_attack"):
        shown[metric] = [interval_text(*values) for values in zip(table[metric], table[f"{metric}_low"],
                                                                  table[f"{metric}_high"])]
    for short, label in (("attack", "attack_vs_dense_points"), ("clean", "clean_vs_dense_points")):
        shown[label] = [difference_text(*values) for values in zip(
            table[f"{short}_vs_dense"], table[f"{short}_vs_dense_low"], table[f"{short}_vs_dense_high"],
            table[f"{short}_vs_dense_p"], table["paired_with_dense"])]
    text = shown.to_markdown(index=False, floatfmt=".3f")
    collapsed = table[table["collapsed"] == True]  # noqa: E712 - None (unknown) is not True
    notes = [f"- {row.method} {row.sparsity:g} ({row.dense_start}, seed {row.seed}): collapsed, {row.collapse_reason}; "
             "its accuracy under attack is not robustness" for row in collapsed.drop_duplicates(
                 ["dense_start", "seed", "method", "sparsity"]).itertuples()]
    uncertain = table[(table["collapsed"] == False) & table["collapse_reason"].notna()]  # noqa: E712
    notes += [f"- {row.method} {row.sparsity:g} ({row.dense_start}, seed {row.seed}): not called collapsed, "
              f"{row.collapse_reason}" for row in uncertain.drop_duplicates(
                  ["dense_start", "seed", "method", "sparsity"]).itertuples()]
    return text + ("\n\n" + "\n".join(notes) if notes else "")


__all__ = ["grid_table", "COLUMNS", "sweep_table", "summary_over_seeds", "markdown_table"]
