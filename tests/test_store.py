"""The run store: stable ids, atomic writes, listing and deletion."""

import pytest

from robustprune.errors import RobustPruneError
from robustprune.store import RunStore, run_id_for


def test_run_id_depends_on_every_key_field_and_not_on_order():
    key = {"model": "minilm", "sparsity": 0.5, "seed": 0}
    assert run_id_for("prune", key) == run_id_for("prune", dict(reversed(list(key.items()))))
    assert run_id_for("prune", key) != run_id_for("prune", {**key, "seed": 1})
    assert run_id_for("prune", key) != run_id_for("attack", key)


def test_written_run_is_listed_and_readable(tmp_path):
    store = RunStore(tmp_path)
    with store.write("prune", {"a": 1}, model="m", dataset="d", method="krp", parent="finetune-x") as run:
        (run.directory / "weights.bin").write_bytes(b"123")
        run.summary["accuracy"] = 0.9
    record = store.get(run_id_for("prune", {"a": 1}))
    assert record.summary == {"accuracy": 0.9, "run_id": record.run_id}
    assert (record.directory / "weights.bin").read_bytes() == b"123"
    assert [r.run_id for r in store.list(kind="prune")] == [record.run_id]
    assert store.list(kind="attack") == []


def test_a_run_that_fails_half_way_leaves_nothing(tmp_path):
    store = RunStore(tmp_path)
    with pytest.raises(RuntimeError):
        with store.write("prune", {"a": 1}) as run:
            (run.directory / "weights.bin").write_bytes(b"half")
            raise RuntimeError("killed")
    assert store.get(run_id_for("prune", {"a": 1})) is None
    assert store.list() == []
    assert list((tmp_path / "runs").iterdir()) == []


def test_a_folder_without_index_row_is_not_a_run(tmp_path):
    store = RunStore(tmp_path)
    orphan = store.directory(run_id_for("prune", {"a": 1}))
    orphan.mkdir(parents=True)
    assert store.get(orphan.name) is None
    with store.write("prune", {"a": 1}) as run:  # and it is replaced cleanly
        run.summary["ok"] = True
    assert store.get(orphan.name).summary["ok"] is True


def test_delete_and_unknown_run(tmp_path):
    store = RunStore(tmp_path)
    with store.write("finetune", {"b": 2}) as run:
        run.summary["accuracy"] = 0.5
    run_id = run_id_for("finetune", {"b": 2})
    store.delete(run_id)
    assert store.get(run_id) is None and not store.directory(run_id).exists()
    with pytest.raises(RobustPruneError, match="no cached run"):
        store.require(run_id)
