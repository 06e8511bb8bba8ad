"""The sweep's table carries each row's difference from its dense start, read from the stored per-example records."""

from __future__ import annotations

import math

import pytest

from robustprune.stats import attack_outcomes, compare, compare_over_seeds
from robustprune.store import RunStore
from robustprune.sweep import run_sweep
from robustprune.sweep.table import markdown_table, sweep_table


def test_each_pruned_row_has_its_paired_difference_from_the_dense_start(spec, tmp_path):
    store = RunStore(tmp_path / "store")
    result = run_sweep(spec.__class__(**{**spec.to_dict(), "seeds": 2, "seed_axis": "calibration",
                                         "methods": ("magnitude",)}), store=store)
    table = result.table
    dense = table[table["method"] == "dense"].iloc[0]
    assert math.isnan(dense["attack_vs_dense"]) and dense["accuracy_under_attack_low"] <= dense[
        "accuracy_under_attack"] <= dense["accuracy_under_attack_high"]
    pruned = table[table["method"] == "magnitude"]
    assert len(pruned) == 2
    dense_outcomes = attack_outcomes(store.get(dense["attack_run_id"]))
    for row in pruned.itertuples():
        assert row.dense_attack_run_id == dense["attack_run_id"] and row.paired_with_dense == True  # noqa: E712
        expected = compare(attack_outcomes(store.get(row.attack_run_id)), dense_outcomes)
        assert (row.attack_vs_dense, row.attack_vs_dense_low, row.attack_vs_dense_high, row.attack_vs_dense_p) == (
            expected.difference, expected.difference_low, expected.difference_high, expected.p_value)
        assert row.attack_vs_dense == pytest.approx(row.accuracy_under_attack - dense["accuracy_under_attack"])
        assert row.clean_vs_dense == pytest.approx(row.clean_accuracy - dense["clean_accuracy"])
    pooled = result.summary[result.summary["method"] == "magnitude"].iloc[0]
    expected = compare_over_seeds([(attack_outcomes(store.get(row.attack_run_id)), dense_outcomes)
                                   for row in pruned.itertuples()])
    assert pooled["attack_vs_dense_pooled"] == pytest.approx(expected.difference)
    assert (pooled["attack_vs_dense_pooled_low"], pooled["attack_vs_dense_pooled_high"]) == (
        expected.difference_low, expected.difference_high)
    from robustprune.sweep.comparisons import seeds_markdown
    from robustprune.stats.text import difference_text

    assert difference_text(expected.difference, expected.difference_low, expected.difference_high) in seeds_markdown(
        result.summary)
    text = markdown_table(table)
    assert "attack_vs_dense_points" in text and " p " in text
    # the table is read again from the cache, without the runs being computed again
    assert sweep_table(result.plan, store)["attack_vs_dense_p"].equals(table["attack_vs_dense_p"])
    # the dense start's collapse check reads its fine-tune's whole test split, which it records
    from robustprune.collapse import check_counts

    finetune = store.get(dense["model_run_id"]).summary
    on_test = check_counts(finetune["test_prediction_counts"], finetune["test_label_counts"], finetune["accuracy"])
    assert dense["collapsed"] == on_test.collapsed
    # a model near the majority rate on too few texts is not called collapsed, and the table says why not
    uncertain = table.copy()
    uncertain.loc[pruned.index[0], ["collapsed", "collapse_reason"]] = [False, "too few texts to tell (planted)"]
    assert "not called collapsed, too few texts to tell (planted)" in markdown_table(uncertain)
