"""Every row of a sweep's table against its dense start, with intervals (``robustprune.stats``).

For a pruned model's row: its accuracy under attack and clean accuracy, each with a Wilson
95 % interval, and the difference from the dense start under the same recipe (pruned −
dense, in fractions) with a 95 % interval and a p-value — paired (Newcombe's method 10, exact
McNemar) when both attacks ran on the same sentences, unpaired (Newcombe's hybrid score,
Fisher exact) otherwise, as the stored sentences say. Over K seeds, ``pooled_columns`` gives
the pooled difference with its bootstrap interval beside the seed spread.

All of it is read from the cached attack runs' per-example records; nothing is recomputed.
"""

from __future__ import annotations

import math

from robustprune.stats import attack_outcomes, compare, compare_over_seeds, wilson_accuracy
from robustprune.stats.outcomes import METRICS
from robustprune.store import RunStore

SHORT = {"accuracy_under_attack": "attack", "clean_accuracy": "clean"}
COMPARISON_COLUMNS = [
    "accuracy_under_attack_low", "accuracy_under_attack_high", "clean_accuracy_low", "clean_accuracy_high",
    *[f"{short}_vs_dense{suffix}" for short in SHORT.values() for suffix in ("", "_low", "_high", "_p")],
    "paired_with_dense", "dense_attack_run_id"]
POOLED_COLUMNS = [f"{short}_vs_dense_pooled{suffix}" for short in SHORT.values() for suffix in ("", "_low", "_high")]


class OutcomeReader:
    """Per-sentence outcomes of attack runs, each read once per reader (a dense row serves every pruned row)."""

    def __init__(self, store: RunStore) -> None:
        self.store, self._read = store, {}

    def __call__(self, attack_run_id: str | None):
        if not attack_run_id:
            return None
        if attack_run_id not in self._read:
            record = self.store.get(attack_run_id)
            self._read[attack_run_id] = attack_outcomes(record) if record is not None else None
        return self._read[attack_run_id]


def dense_attacks(grid_rows) -> dict[tuple[str, str], str]:
    """(dense run id, recipe) -> the dense start's attack run id, from the grid's dense rows."""
    return {(row.dense_run_id, row.recipe): row.attack_run_id for row in grid_rows if row.method == "dense"}


def comparison_columns(row, dense_attack_run_id: str | None, outcomes: OutcomeReader) -> dict:
    """The ``COMPARISON_COLUMNS`` of one ``GridRow`` (NaN where its runs are missing; no difference for dense)."""
    values = {column: math.nan for column in COMPARISON_COLUMNS}
    values.update(paired_with_dense=None, dense_attack_run_id=dense_attack_run_id)
    model = outcomes(row.attack_run_id)
    if model is None:
        return values
    for metric in METRICS:
        _, values[f"{metric}_low"], values[f"{metric}_high"] = wilson_accuracy(model.metric(metric))
    dense = outcomes(dense_attack_run_id) if row.method != "dense" else None
    if dense is None:
        return values
    for metric in METRICS:
        result = compare(model, dense, metric)
        short = SHORT[metric]
        values.update({f"{short}_vs_dense": result.difference, f"{short}_vs_dense_low": result.difference_low,
                       f"{short}_vs_dense_high": result.difference_high, f"{short}_vs_dense_p": result.p_value})
        values["paired_with_dense"] = result.paired
    return values


def pooled_columns(table, store: RunStore, keys: list[str]) -> list[dict]:
    """Per group of ``keys`` in ``table`` (a sweep table: one row per seed), the pooled difference from the dense
    start over the seeds (``robustprune.stats.compare_over_seeds``); NaN for dense rows and missing runs."""
    outcomes = OutcomeReader(store)
    pooled = []
    for _, group in table.groupby(keys, sort=False, dropna=False):
        values = {column: math.nan for column in POOLED_COLUMNS}
        pairs = [(outcomes(row.attack_run_id), outcomes(row.dense_attack_run_id)) for row in group.itertuples()
                 if row.method != "dense"]
        if pairs and all(model is not None and dense is not None for model, dense in pairs):
            for metric, short in SHORT.items():
                result = compare_over_seeds(pairs, metric)
                values.update({f"{short}_vs_dense_pooled": result.difference,
                               f"{short}_vs_dense_pooled_low": result.difference_low,
                               f"{short}_vs_dense_pooled_high": result.difference_high})
        pooled.append(values)
    return pooled


def seeds_markdown(summary) -> str:
    """The summary over seeds as people read it: each accuracy's mean with the seeds' range, and the pooled
    difference from the dense start in points with its 95 % interval (the CSV and ``--json`` keep every column)."""
    import pandas as pd

    from robustprune.stats.text import difference_text

    shown = summary[["dense_start", "method", "sparsity", "recipe", "seeds"]].copy()
    for metric in ("clean_accuracy", "accuracy_under_attack"):
        shown[f"{metric} (seeds' range)"] = [f"{mean:.3f} ({low:.3f}–{high:.3f})" for mean, low, high in zip(
            summary[f"{metric}_mean"], summary[f"{metric}_min"], summary[f"{metric}_max"])]
    for short in SHORT.values():
        column = f"{short}_vs_dense_pooled"
        if column in summary:
            shown[f"{column}_points"] = [difference_text(*values) for values in zip(
                summary[column], summary[f"{column}_low"], summary[f"{column}_high"])]
    return pd.DataFrame(shown).to_markdown(index=False, floatfmt=".3g")


__all__ = ["seeds_markdown", "COMPARISON_COLUMNS", "POOLED_COLUMNS", "OutcomeReader", "dense_attacks", "comparison_columns",
           "pooled_columns"]
