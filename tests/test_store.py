"""The run store: stable ids, atomic writes, listing and deletion, damaged runs, the per-run lock."""

import json
import os
import shutil
import sqlite3

import pytest
import torch

from robustprune.errors import RobustPruneError
from robustprune.store import DamagedRunWarning, RunStore, run_id_for


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


def test_listings_filter_in_the_index_and_index_values_reads_only_the_index(tmp_path):
    store = RunStore(tmp_path)
    ids = {}
    for name, kind, model, parent in (("dense", "finetune", "m1", None), ("krp", "prune", "m1", "dense"),
                                      ("kprune", "structured", "m2", "dense"), ("attack", "attack", "m1", "krp"),
                                      ("shard", "attack-shard", "m3", "krp")):
        with store.write(kind, {"name": name}, model=model, dataset="d", parent=ids.get(parent)) as run:
            (run.directory / "weights.bin").write_bytes(b"123")
        ids[name] = run_id_for(kind, {"name": name})
    assert [r.run_id for r in store.list(kinds=("prune", "structured"))] == [ids["kprune"], ids["krp"]]
    assert [r.run_id for r in store.list(parent=ids["dense"], kind="prune")] == [ids["krp"]]
    assert [r.run_id for r in store.list(parent=ids["krp"])] == [ids["attack"]]  # its shard is internal
    assert store.index_values("model") == [("m1",), ("m2",)]  # newest run's first; no internal kind
    assert store.index_values("model", "dataset", kinds=("structured", "prune")) == [("m2", "d"), ("m1", "d")]
    weights = store.directory(ids["kprune"]) / "weights.bin"
    weights.write_bytes(b"1")  # damaged: list leaves it out, the index still names its model
    assert ids["kprune"] not in [r.run_id for r in store.list()] and ("m2",) in store.index_values("model")
    shutil.rmtree(store.directory(ids["kprune"]))  # a folder gone: neither counts it
    assert store.index_values("model") == [("m1",)]
    with pytest.raises(ValueError, match="index_values takes columns of kind, model, dataset, method, parent"):
        store.index_values("summary_json")


def test_intact_says_of_many_ids_what_get_says_of_each(tmp_path):
    store = RunStore(tmp_path)
    run_ids = [write_weights(store, {"a": a}) for a in range(3)]
    weights = store.directory(run_ids[1]) / "weights.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    asked = [*run_ids, *(run_id_for("prune", {"never": n}) for n in range(600)), run_ids[0]]  # two index queries
    assert store.intact(asked) == {run_ids[0], run_ids[2]}
    with pytest.warns(DamagedRunWarning):
        assert {run_id for run_id in asked if store.get(run_id) is not None} == store.intact(asked)


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


def test_an_unknown_run_names_the_runs_to_use_instead(tmp_path):
    """The message named the eight newest runs of any kind: for a mistyped id, rarely the one meant."""
    store = RunStore(tmp_path)
    ids = {}
    for kind, count in (("prune", 3), ("attack", 9)):  # the attacks are the newest
        for number in range(count):
            with store.write(kind, {"n": number}) as run:
                run.summary["n"] = number
            ids[kind, number] = run_id_for(kind, {"n": number})
    meant = ids["prune", 1]
    with pytest.raises(RobustPruneError) as raised:
        store.require(meant[:-1])  # one character short
    named = str(raised.value).split("(e.g. ")[1].rstrip(")").split(", ")
    assert named[0] == meant and len(named) == 8
    with pytest.raises(RobustPruneError) as raised:
        store.require("prune-000000000000", kinds=("prune",))
    assert set(str(raised.value).split("(e.g. ")[1].rstrip(")").split(", ")) == \
        {ids["prune", number] for number in range(3)}


def write_weights(store: RunStore, key: dict) -> str:
    from safetensors.torch import save_file

    with store.write("prune", key) as run:
        save_file({"w": torch.arange(1000, dtype=torch.float32)}, str(run.directory / "weights.safetensors"))
        run.summary["ok"] = True
    return run_id_for("prune", key)


def test_every_file_of_a_run_is_in_its_manifest(tmp_path):
    from robustprune.hashing import file_sha256

    store = RunStore(tmp_path)
    run_id = write_weights(store, {"a": 1})
    manifest = json.loads((store.directory(run_id) / "manifest.json").read_text())["files"]
    assert set(manifest) == {"weights.safetensors", "summary.json"}
    weights = store.directory(run_id) / "weights.safetensors"
    assert manifest["weights.safetensors"] == {"size": weights.stat().st_size, "sha256": file_sha256(weights)}


def test_a_truncated_file_makes_a_run_damaged_and_missing_until_written_again(tmp_path):
    store = RunStore(tmp_path)
    run_id = write_weights(store, {"a": 1})
    weights = store.directory(run_id) / "weights.safetensors"
    weights.write_bytes(weights.read_bytes()[:1500])
    with pytest.warns(DamagedRunWarning, match=r"weights.safetensors has 1,500 bytes where 4,\d+ were written"):
        assert store.get(run_id) is None
    assert store.list() == [] and [r.damage for r in store.list(include_damaged=True)] == [store.damage(run_id)]
    assert store.damaged() == {run_id: store.damage(run_id)}
    with pytest.raises(RobustPruneError, match="is damaged .*treated as missing"):
        store.require(run_id)
    write_weights(store, {"a": 1})  # asking again computes again: the write replaces the damaged folder
    assert store.get(run_id, verify=True) is not None and store.damage(run_id) is None and store.damaged() == {}


def test_changed_bytes_of_the_same_size_are_found_when_verified(tmp_path):
    store = RunStore(tmp_path)
    run_id = write_weights(store, {"a": 1})
    weights = store.directory(run_id) / "weights.safetensors"
    content = bytearray(weights.read_bytes())
    content[-1] ^= 0xFF
    weights.write_bytes(bytes(content))
    assert store.get(run_id) is not None  # sizes match: the cheap check passes
    with pytest.warns(DamagedRunWarning, match="does not hash to what was written"):
        assert store.get(run_id, verify=True) is None


def test_a_run_written_before_manifests_is_checked_by_format_then_given_a_manifest(tmp_path):
    store = RunStore(tmp_path)
    intact, truncated = write_weights(store, {"a": 1}), write_weights(store, {"a": 2})
    for run_id in (intact, truncated):  # as an old version wrote them: neither a manifest nor a run.json
        (store.directory(run_id) / "manifest.json").unlink()
        (store.directory(run_id) / "run.json").unlink()
    weights = store.directory(truncated) / "weights.safetensors"
    weights.write_bytes(weights.read_bytes()[:-8])
    assert "its header describes" in store.damage(truncated, verify=False)
    assert store.get(intact, verify=True) is not None
    assert (store.directory(intact) / "manifest.json").is_file()  # trusted on first use, checked from now on
    assert not (store.directory(truncated) / "manifest.json").exists()


def test_a_lost_manifest_is_damage_never_trusted_on_first_use(tmp_path):
    """A run written with a manifest that lost it is damaged: a deep check must not write a new manifest over
    files that may themselves be damaged."""
    store = RunStore(tmp_path)
    run_id = write_weights(store, {"a": 1})
    (store.directory(run_id) / "manifest.json").unlink()
    assert store.damage(run_id, verify=False) == store.damage(run_id, verify=True) == "manifest.json is missing"
    assert not (store.directory(run_id) / "manifest.json").exists()


def test_a_manifest_that_does_not_cover_the_folder_is_damage(tmp_path):
    store = RunStore(tmp_path)
    empty, extra, swapped = (write_weights(store, {"a": n}) for n in (1, 2, 3))
    (store.directory(empty) / "manifest.json").write_text(json.dumps({"version": 1, "files": {}}))
    (store.directory(extra) / "weights-2.safetensors").write_bytes(b"planted")
    manifest = json.loads((store.directory(swapped) / "manifest.json").read_text())
    del manifest["files"]["weights.safetensors"]  # a manifest rewritten after the run: the weights unchecked
    (store.directory(swapped) / "manifest.json").write_text(json.dumps(manifest))
    assert store.damage(empty, verify=False) == "manifest.json lists no files"
    assert store.damage(extra) == "weights-2.safetensors is not in manifest.json (not written with the run)"
    assert store.damage(swapped) == "weights.safetensors is not in manifest.json (not written with the run)"
    assert {record.run_id for record in store.list()} == {extra, swapped}  # sizes: the deep check finds those two
    for run_id in (empty, extra, swapped):
        with pytest.warns(DamagedRunWarning):
            assert store.get(run_id, verify=True) is None


def test_the_run_lock_excludes_other_holders_until_released(tmp_path):
    import threading

    from filelock import Timeout

    store = RunStore(tmp_path)
    outside = []

    def try_lock():
        try:
            store.lock("prune-x").acquire(timeout=0.2)
        except Timeout:
            outside.append("waited")
        else:
            outside.append("acquired")
            store.lock("prune-x").release()

    with store.lock("prune-x"):
        with store.lock("prune-x"):  # reentrant in the holding thread
            thread = threading.Thread(target=try_lock)
            thread.start()
            thread.join()
    thread = threading.Thread(target=try_lock)
    thread.start()
    thread.join()
    assert outside == ["waited", "acquired"]


def test_what_killed_writers_left_is_removed_and_finished_runs_never_are(tmp_path):
    """Only a writer's partial folder is half-done; a folder renamed into place whose row never reached the index
    (killed between the two) is a finished run: it is added to the index. A folder that is no run is left alone."""
    import subprocess
    import sys
    store = RunStore(tmp_path)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    dead = store.runs_dir / f".partial-prune-abc-{gone.pid}-0000"
    alive = store.runs_dir / f".partial-prune-abc-{os.getppid()}-0000"
    stranger = store.runs_dir / "prune-000000000001"
    for folder in (dead, alive, stranger):
        folder.mkdir()
    kept, unindexed = write_weights(store, {"a": 1}), write_weights(store, {"a": 2})
    with store.connect() as connection:  # as if killed between the rename and the insert
        connection.execute("DELETE FROM runs WHERE run_id = ?", (unindexed,))
    assert store.remove_leftovers() == 1
    assert {path.name for path in store.runs_dir.iterdir()} == {alive.name, stranger.name, kept, unindexed}
    assert {record.run_id for record in store.list()} == {kept, unindexed}
    report, folders = store.reindex()  # on demand: the index lacks nothing now, the stranger is said
    assert (report.added, list(report.unreadable), folders) == ([], [stranger.name], 3)


def write_run(store: RunStore, number: int) -> str:
    with store.write("prune", {"n": number}, model="m", dataset="d", method="krp") as run:
        (run.directory / "weights.bin").write_bytes(b"1")
    return run_id_for("prune", {"n": number})


def test_a_store_deleted_and_made_again_at_the_same_path_is_read_afresh(tmp_path):
    """Connections are kept per thread and file: a new index file at the same path is another file."""
    import shutil

    root = tmp_path / "home"
    first = write_run(RunStore(root), 1)
    assert [record.run_id for record in RunStore(root).list()] == [first]
    shutil.rmtree(root)
    second = write_run(RunStore(root), 2)
    assert [record.run_id for record in RunStore(root).list()] == [second]
    assert RunStore(root).get(first) is None
    with sqlite3.connect(root / "index.sqlite") as fresh:  # written to the new file, not to the deleted one
        assert fresh.execute("SELECT run_id FROM runs").fetchall() == [(second,)]


def test_threads_read_and_write_the_index_side_by_side(tmp_path):
    """Each thread has its own connection (sqlite3 refuses one connection across threads)."""
    from concurrent.futures import ThreadPoolExecutor

    store = RunStore(tmp_path)
    with ThreadPoolExecutor(4) as pool:
        written = list(pool.map(lambda number: write_run(store, number), range(8)))
        seen = list(pool.map(lambda run_id: store.get(run_id) is not None, written))
    assert all(seen) and sorted(record.run_id for record in store.list()) == sorted(written)


def test_an_error_inside_a_block_rolls_its_writes_back(tmp_path):
    store = RunStore(tmp_path)
    with pytest.raises(RuntimeError):
        with store.connect() as connection:
            connection.execute("INSERT INTO runs VALUES ('prune-x', 'prune', NULL, NULL, NULL, NULL, '{}', '{}', 0)")
            raise RuntimeError("interrupted")
    with store.connect() as connection:
        assert connection.execute("SELECT COUNT(*) FROM runs").fetchone() == (0,)


def test_a_statement_read_half_way_does_not_hide_what_another_process_writes_later(tmp_path):
    """The index connection stays open per thread: a half-read statement must not pin it to an old snapshot."""
    import subprocess
    import sys

    store = RunStore(tmp_path)
    for number in (1, 2):
        write_run(store, number)
    with store.connect() as connection:
        rows = connection.execute("SELECT run_id FROM runs")
        rows.fetchone()  # one of two rows read, the result still held
    subprocess.run([sys.executable, "-c", "from robustprune.store import RunStore, run_id_for\n"
                    f"store = RunStore({str(tmp_path)!r})\n"
                    "with store.write('prune', {'n': 3}, model='m') as run: (run.directory / 'w').write_bytes(b'1')"],
                   check=True)
    assert len(store.list()) == 3 and store.get(run_id_for("prune", {"n": 3})) is not None
    assert rows.fetchone() is not None  # the held result still gives its second row


def test_a_runs_files_get_the_permissions_a_plain_write_gives(tmp_path):
    """safetensors' save_file creates its file readable by its owner only; a run's files are all made as ``open``
    would make them (0o666 less the umask), so that a store shared with a group is readable there."""
    import torch
    from safetensors.torch import save_file

    store = RunStore(tmp_path)
    previous = os.umask(0o002)
    try:
        with store.write("prune", {"x": 1}) as run:
            save_file({"w": torch.zeros(2)}, str(run.directory / "weights.safetensors"))
            (run.directory / "table.json").write_text("{}")
    finally:
        os.umask(previous)
    folder = store.directory(run_id_for("prune", {"x": 1}))
    modes = {path.name: path.stat().st_mode & 0o777 for path in folder.iterdir()}
    assert modes["weights.safetensors"] == modes["table.json"] == modes["summary.json"] == 0o664
