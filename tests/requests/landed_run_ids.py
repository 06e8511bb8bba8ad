"""The run ids of every kind of run, computed with the cache keys the computing functions use, and a sweep's plan.

``landed_run_ids.json`` beside this file was written by this script with the version before the requests
(commit a4b958f): ``cd /tmp && python .../tests/requests/landed_run_ids.py > landed_run_ids.json``, the installed
robustprune being that version. ``test_run_ids.py`` checks that every request computes those very ids, so a store
written by that version finds every run cached.
"""

from __future__ import annotations

import json
from dataclasses import asdict


def fixed_data():
    """A small dataset with a fixed fingerprint (in memory: nothing to download, nothing that depends on a path)."""
    import datasets

    from robustprune.data import TaskData

    words = ["good", "bad", "fine", "dull", "great", "awful", "nice", "poor"]
    train = {"text": [f"a {words[i % 8]} film number {i}" for i in range(60)], "label": [i % 8 % 2 for i in range(60)]}
    test = {"text": [f"the {words[i % 8]} movie {i}" for i in range(12)], "label": [i % 8 % 2 for i in range(12)]}
    return TaskData("fixed", datasets.Dataset.from_dict(train), datasets.Dataset.from_dict(test), ["pos", "neg"],
                    "fixed", max_length=32, fingerprint="fixed-fingerprint-1")


def landed_ids(data) -> dict:
    """{name: run id} of one run of every kind, and the cells of a sweep, from the computing functions' keys."""
    from robustprune.attack.attribution import IGSettings
    from robustprune.attack.explain import explanation_run_id
    from robustprune.attack.layer_auc import layer_auc_run_id
    from robustprune.attack.projection import projection_run_id
    from robustprune.attack.run import AttackConfig
    from robustprune.attack.runs import attack_key, shard_key, texts_attack_key
    from robustprune.attack.texts import AttackTexts
    from robustprune.finetune import FinetuneConfig
    from robustprune.pipeline import dense_key, prune_key, with_max_length
    from robustprune.prune import PruneConfig
    from robustprune.soup import SoupConfig, candidate_runs, soup_key
    from robustprune.store import run_id_for
    from robustprune.structured import KPruneConfig
    from robustprune.structured.runs import structured_key
    from robustprune.sweep import SweepSpec, plan_sweep

    finetune = FinetuneConfig(epochs=2, seed=3)
    soup = SoupConfig(candidates=3, base=finetune, criterion="attack", attack_examples=5)
    ids = {"finetune": run_id_for("finetune", dense_key("minilm", data, with_max_length(finetune, data))),
           "finetune-default": run_id_for("finetune", dense_key("minilm", data, with_max_length(FinetuneConfig(),
                                                                                                  data))),
           "soup": run_id_for("soup", soup_key("minilm", data, soup, soup.base.max_length or data.max_length))}
    train_data, candidates = candidate_runs(data, soup)
    ids["soup-candidate-1"] = run_id_for("finetune", dense_key("minilm", train_data, candidates[1]))
    prune = PruneConfig("krp", 0.5, calibration=8, heldout=4, seed=2)
    ids["prune"] = run_id_for("prune", prune_key(ids["finetune"], prune, 32))
    ids["prune-from-soup"] = run_id_for("prune", prune_key(ids["soup"], prune, 32))
    kprune = KPruneConfig(flops_reduction=0.4, seed=1)
    ids["structured"] = run_id_for("structured", structured_key(ids["finetune"], "kprune", kprune, 32))
    ids["structured-magnitude"] = run_id_for("structured", structured_key(
        ids["finetune"], "structured-magnitude", KPruneConfig(flops_reduction=0.4), 32))
    attack = AttackConfig(recipe="textbugger", num_examples=6)
    ids["attack-dense"] = run_id_for("attack", attack_key(ids["finetune-default"], attack, data))
    ids["attack"] = run_id_for("attack", attack_key(ids["prune"], attack, data))
    ids["attack-shard-2-4"] = run_id_for("attack-shard", shard_key(attack_key(ids["prune"], attack, data), 2, 4))
    texts = AttackTexts(("one text", "another text"), (0, 1), "pasted")
    ids["attack-texts"] = run_id_for("attack", texts_attack_key(ids["prune"], attack, texts))
    ids["attribution"] = explanation_run_id(ids["attack"], 3, IGSettings(steps=7))
    ids["layer-auc"] = layer_auc_run_id(ids["attack"])
    ids["projection"] = projection_run_id(ids["attack"])

    spec = SweepSpec(dense_starts=("finetune", "soup"), methods=("krp", "krp+refit+adv=4", "kprune",
                                                                  "structured-magnitude"),
                     sparsities=(0.5, "2:4"), flops_reductions=(0.4,), recipes=("textbugger",), num_examples=6,
                     calibration=8, heldout=4, seeds=2, finetune={"epochs": 2}, soup={"candidates": 2})
    plan = plan_sweep(spec, data, shard_size=4)
    return {"runs": ids, "sweep": {"spec": spec.to_dict(), "shard_size": 4,
                                   "cells": [[cell.run_id, cell.kind, cell.label, list(cell.needs)]
                                             for cell in plan.cells],
                                   "rows": [asdict(row) for row in plan.rows]}}


if __name__ == "__main__":
    print(json.dumps(landed_ids(fixed_data()), indent=1, ensure_ascii=False))
