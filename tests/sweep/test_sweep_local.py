"""A sweep in this process: the same runs as single requests, nothing computed twice, failures kept apart."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from robustprune.attack import AttackConfig
from robustprune.attack.runs import attack
from robustprune.data import load_task_data
from robustprune.errors import RobustPruneError
from robustprune.finetune import FinetuneConfig
from robustprune.pipeline import prune
from robustprune.prune import PruneConfig
from robustprune.store import RunStore
from robustprune.sweep import plan_sweep, run_sweep
from robustprune.sweep.events import SweepEvents


def test_a_sweep_makes_the_runs_single_requests_make(spec, tmp_path):
    result = run_sweep(spec, store=RunStore(tmp_path / "sweep"), shard_size=3)
    assert result.complete and len(result.table) == 3  # dense + 2 methods, one recipe
    assert list(result.table["method"]) == ["dense", "magnitude", "krp"]
    assert not result.table["accuracy_under_attack"].isna().any()

    single = RunStore(tmp_path / "single")
    data = load_task_data(spec.dataset, spec.text_column, spec.label_column)
    finetune = FinetuneConfig(epochs=0)
    for row in result.table.itertuples():
        target = "dense"
        if row.method != "dense":
            config = PruneConfig(row.method, row.sparsity, calibration=8, heldout=4)
            pruned = prune(config, spec.model, data, "cpu", finetune, single)
            assert pruned.run_id == row.model_run_id
            target = pruned.run_id
        run = attack(target, AttackConfig("textbugger", num_examples=4, max_length=64, word_vectors="wordnet"), spec.model, data, "cpu",
                     single, finetune_config=finetune)
        assert run.run_id == row.attack_run_id
        assert run.result.summary.accuracy_under_attack == row.accuracy_under_attack
        assert run.result.summary.clean_accuracy == row.clean_accuracy


def test_a_second_identical_sweep_computes_nothing(spec, tmp_path):
    store = RunStore(tmp_path / "store")
    first = run_sweep(spec, store=store)
    events = SweepEvents()
    second = run_sweep(spec, store=store, events=events)
    assert first.computed == len(first.plan.cells) and second.computed == 0
    assert set(state.status for state in events.cells.values()) == {"cached"}
    pd.testing.assert_frame_equal(first.table, second.table)


def test_a_stopped_sweep_resumes_where_it_stopped(spec, tmp_path):
    """Shards finished before a stop are not searched again."""
    store = RunStore(tmp_path / "store")
    data = load_task_data(spec.dataset, spec.text_column, spec.label_column)
    plan = plan_sweep(spec, data, shard_size=2)
    shards = [cell for cell in plan.cells if cell.kind == "attack-shard"]
    assert len(shards) == 2 * 3  # 4 examples in shards of 2, three attacked models

    class StopAfterShards(SweepEvents):
        def done(self, cell):
            super().done(cell)
            if cell.kind == "attack-shard" and sum(s.status == "done" and s.kind == "attack-shard"
                                                   for s in self.cells.values()) == 3:
                raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(spec, data=data, store=store, shard_size=2, events=StopAfterShards())
    resumed = SweepEvents()
    result = run_sweep(spec, data=data, store=store, shard_size=2, events=resumed)
    computed_shards = [s for s in resumed.cells.values() if s.kind == "attack-shard" and s.status == "done"]
    assert result.complete and len(computed_shards) == 3


def test_a_failed_cell_fails_only_what_needs_it(spec, tmp_path, monkeypatch):
    from robustprune.requests import PruneRequest

    real = PruneRequest.run

    def flaky(request, *args, **kwargs):
        if request.config.method == "krp":
            raise RobustPruneError("planted failure of krp")
        return real(request, *args, **kwargs)

    monkeypatch.setattr(PruneRequest, "run", flaky)
    result = run_sweep(spec, store=RunStore(tmp_path / "store"))
    reasons = {state.label: state.error for state in result.failures}
    assert reasons["krp 50%"] == "planted failure of krp"
    assert reasons["textbugger on krp 50%"] == "needs krp 50%, which failed"
    assert len(reasons) == 2
    by_method = result.table.set_index("method")
    assert not pd.isna(by_method.loc["magnitude", "accuracy_under_attack"])
    assert pd.isna(by_method.loc["krp", "accuracy_under_attack"])


@pytest.mark.parametrize("override, message", [
    ({"methods": ("krp", "obc")}, "unknown method 'obc'"),
    ({"methods": ("krp+fast",)}, "unknown option +fast"),
    ({"sparsities": (1.2,)}, "sparsity 1.2 is out of range"),
    ({"num_examples": 500}, "500 examples per attack asked for"),
    ({"recipes": ("deepwordbug",)}, "unknown attack recipe 'deepwordbug'"),
    ({"dense_starts": ("pretrained",)}, "unknown dense start 'pretrained'"),
    ({"calibration": 100000}, "calibration 100000 + held-out 4 texts exceed"),
])
def test_a_grid_that_cannot_work_fails_before_any_work(spec, tmp_path, override, message):
    from dataclasses import replace

    store = RunStore(tmp_path / "store")
    with pytest.raises(RobustPruneError, match=re.escape(message)) as raised:
        run_sweep(replace(spec, **override), store=store)
    assert len(str(raised.value).splitlines()) == 1
    assert store.list() == []


def test_adversarial_calibration_attacks_are_cells_of_their_own(spec, tmp_path):
    """``krp+adv=N`` at two sparsities: the attacks on training texts are planned once, before both pruning runs,
    and they are the very runs a single ``prune`` request makes (nothing else lands in the store)."""
    from dataclasses import replace

    grid = replace(spec, methods=("krp+adv=4",), sparsities=(0.5, 0.7))
    store = RunStore(tmp_path / "store")
    data = load_task_data(spec.dataset, spec.text_column, spec.label_column)
    plan = plan_sweep(grid, data)
    calibration = [cell for cell in plan.cells if cell.kind == "attack" and cell.request.texts is not None]
    prunes = [cell for cell in plan.cells if cell.kind == "prune"]
    assert len(calibration) == 2 and len(prunes) == 2  # one per recipe (textfooler, textbugger), shared
    for cell in prunes:
        assert set(cell.needs) == {plan.rows[0].dense_run_id, *(c.run_id for c in calibration)}
        assert plan.cells.index(cell) > max(plan.cells.index(c) for c in calibration)

    result = run_sweep(grid, store=store)
    assert result.complete
    assert {record.run_id for record in store.list()} == {cell.run_id for cell in plan.cells}

    single = prune(PruneConfig("krp", 0.5, calibration=8, heldout=4, calibration_adversarial=4), spec.model, data,
                   "cpu", FinetuneConfig(epochs=0), RunStore(tmp_path / "single"))
    assert single.run_id in {cell.run_id for cell in prunes}
    assert set(single.adversarial_attack_run_ids) == {cell.run_id for cell in calibration}


def test_the_estimate_says_which_runs_it_could_not_estimate():
    from robustprune.sweep.estimate import SweepEstimate

    assert SweepEstimate(21, 4, 17, 840.0, ["run"] * 9).describe() == (
        "4 of 21 runs cached, 17 to compute, about 14 min in this process for 8 of them; 9 not estimated: no past "
        "run of the same kind with this model on this device")
    assert SweepEstimate(21, 4, 17, 840.0, []).describe() == \
        "4 of 21 runs cached, 17 to compute, about 14 min in this process"
    assert SweepEstimate(3, 3, 0, 0.0, []).describe() == "all 3 runs are cached"


def test_the_estimate_counts_only_the_texts_a_shorter_cached_attack_did_not_search(spec, tmp_path):
    """After a sweep on the first 2 texts, the same sweep on 4 attacks only texts 2-3 (``attack.reuse``): with the
    plan's data, each attack's estimate is half what a fresh one's is, at the same per-text history."""
    from dataclasses import replace

    from robustprune.sweep.estimate import estimate_sweep, history

    store = RunStore(tmp_path / "store")
    assert run_sweep(replace(spec, num_examples=2), store=store).complete
    data = load_task_data(spec.dataset, spec.text_column, spec.label_column)
    plan = plan_sweep(replace(spec, num_examples=4), data)
    past = history(store, spec.model)
    [per_text] = past[("attack", "textbugger", "cpu")][:1]
    past = {key: [per_text] if key[0] == "attack" else seconds for key, seconds in past.items()}  # one rate
    attacks = [cell for cell in plan.cells if cell.kind == "attack"]
    fresh = estimate_sweep(plan, store, "cpu", past=past)
    reused = estimate_sweep(plan, store, "cpu", past=past, data=data)
    assert fresh.missing == reused.missing == len(attacks) == 3  # dense + 2 methods; prunes and fine-tune cached
    assert fresh.seconds == pytest.approx(3 * 4 * per_text) and reused.seconds == pytest.approx(3 * 2 * per_text)


def test_a_run_searched_on_two_devices_is_neither_devices_pace(tmp_path):
    """The estimate's per-text pace of an attack comes from runs searched on one device: a run that started from
    a shorter run made on a GPU and searched the rest on this CPU ("cuda (…) + cpu") would make either pace wrong."""
    from robustprune.sweep.estimate import history

    store = RunStore(tmp_path / "store")
    with store.write("finetune", {"dense": 1}, model="tiny", dataset="planted") as run:
        run.summary.update({"seconds": 3.0, "device": "cpu"})
    dense_run_id = run.summary["run_id"]
    for device, seconds in (("cpu", 40.0), ("cuda (NVIDIA H100) + cpu", 4.0), ("cuda (NVIDIA H100)", 1.0)):
        with store.write("attack", {"device": device}, model="tiny", dataset="planted", method="dense") as run:
            run.summary.update({"dense_run_id": dense_run_id, "summary": {
                "recipe": "textbugger", "device": device, "num_examples": 4, "wall_seconds": seconds}})
    past = history(store, "tiny")
    assert past[("attack", "textbugger", "cpu")] == [10.0] and past[("attack", "textbugger", "cuda")] == [0.25]

