"""The index is a cache of the run folders: a lost, emptied, truncated or unreadable index never loses a run."""

import json
import os
import sqlite3
import subprocess
import sys
from contextlib import closing

import pytest

from robustprune.index_connection import IndexRebuiltWarning
from robustprune.jobs import JobQueue
from robustprune.store import RunStore, run_id_for


@pytest.fixture(autouse=True)
def settled_at_once(monkeypatch):
    """Folders count as settled at once, so that their adoption is said (one written in the last 10 s is added
    without a word: its writer is about to add it)."""
    monkeypatch.setattr("robustprune.index_rebuild.SETTLING_SECONDS", 0.0)


def write_store(root, count: int = 4) -> dict[str, dict]:
    """``count`` runs written by another process (its connection closed, the index checkpointed), their rows."""
    code = (
        "from robustprune.store import RunStore\n"
        f"store = RunStore({str(root)!r})\n"
        f"for n in range({count}):\n"
        "    kind = ('finetune', 'prune', 'attack', 'attack-shard')[n % 4]\n"
        "    with store.write(kind, {'n': n}, model='m', dataset=f'd{n}', method='krp', parent=f'p{n}') as run:\n"
        "        (run.directory / 'weights.bin').write_bytes(bytes(range(n + 1)))\n"
        "        run.summary['accuracy'] = n / 10\n")
    subprocess.run([sys.executable, "-c", code], check=True)
    with closing(sqlite3.connect(root / "index.sqlite")) as connection:
        return {row[0]: row for row in connection.execute("SELECT * FROM runs")}


def rows_of(store: RunStore) -> dict:
    with store.connect() as connection:
        return {row[0]: row for row in connection.execute("SELECT * FROM runs")}


def lose_index(root, how: str, offset: int = 0) -> None:
    index = root / "index.sqlite"
    if how == "emptied":
        os.truncate(index, 0)
    elif how == "deleted":
        for path in root.glob("index.sqlite*"):
            path.unlink()
    elif how == "garbage":
        index.write_bytes(os.urandom(40960))
    elif how == "truncated":
        os.truncate(index, offset)
    elif how == "wal-without-database":
        with closing(sqlite3.connect(index)) as connection:  # a WAL left behind by a crash, the database gone
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA wal_autocheckpoint=0")
            connection.execute("INSERT INTO runs VALUES ('prune-x', 'prune', NULL, NULL, NULL, NULL, '{}', '{}', 0)")
            connection.commit()
            wal = (root / "index.sqlite-wal").read_bytes()
        index.unlink()
        (root / "index.sqlite-wal").write_bytes(wal)


@pytest.mark.parametrize("how, offset", [("emptied", 0), ("deleted", 0), ("garbage", 0), ("truncated", 100),
                                         ("truncated", 4096), ("truncated", 9000), ("wal-without-database", 0)])
def test_every_run_is_still_there_with_its_row_after_the_index_is_lost(tmp_path, how, offset):
    written = write_store(tmp_path)
    lose_index(tmp_path, how, offset)
    with pytest.warns(IndexRebuiltWarning):
        store = RunStore(tmp_path)
    assert rows_of(store).keys() >= written.keys()
    for run_id, row in written.items():  # every column as written but the time (its run.json's, to float precision)
        assert rows_of(store)[run_id][:-1] == row[:-1]
        assert rows_of(store)[run_id][-1] == pytest.approx(row[-1])
    assert store.remove_leftovers() == 0  # a worker's start deletes nothing
    assert len(list(store.runs_dir.iterdir())) == len(written)


def test_an_unreadable_index_is_moved_aside_never_deleted_and_the_job_tables_come_back(tmp_path):
    write_store(tmp_path)
    garbage = os.urandom(40960)
    (tmp_path / "index.sqlite").write_bytes(garbage)
    with pytest.warns(IndexRebuiltWarning, match=r"could not be read .* moved aside as index\.sqlite\.unreadable-"):
        store = RunStore(tmp_path)
    aside = list(tmp_path.glob("index.sqlite.unreadable-*"))
    assert [path.read_bytes() for path in aside] == [garbage]
    with store.connect() as connection:  # the queue's tables are made anew in the new file, with the runs'
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"runs", "jobs", "workers", "sweep_cells"} <= tables
    assert JobQueue(store).list() == []


def test_a_store_opened_while_another_process_loses_its_index_reads_the_rebuilt_one(tmp_path):
    """A long-running process (a worker, the app) sees the index file replaced under it and rebuilds it."""
    written = write_store(tmp_path)
    store = RunStore(tmp_path)
    assert len(store.list(kinds=("finetune", "prune", "attack"))) == 3
    for path in tmp_path.glob("index.sqlite*"):
        path.unlink()
    with pytest.warns(IndexRebuiltWarning):
        assert rows_of(store).keys() == written.keys()


def test_folders_written_before_run_json_get_it_from_their_row_and_keep_their_key(tmp_path):
    written = write_store(tmp_path)
    for run_id in written:  # as an older version left them
        (tmp_path / "runs" / run_id / "run.json").unlink()
    with closing(sqlite3.connect(tmp_path / "index.sqlite")) as connection:
        connection.execute("PRAGMA user_version = 0")
    RunStore(tmp_path)  # the migration: each folder's run.json from its row
    record = json.loads((tmp_path / "runs" / next(iter(written)) / "run.json").read_text())
    assert record["key"] == {"n": 0} and record["manifest_sha256"]
    os.truncate(tmp_path / "index.sqlite", 0)
    with pytest.warns(IndexRebuiltWarning):
        assert {run_id: row[:-1] for run_id, row in rows_of(RunStore(tmp_path)).items()} == \
            {run_id: row[:-1] for run_id, row in written.items()}


def test_an_old_folder_that_lost_its_row_before_it_had_run_json_is_listed_from_its_summary(tmp_path):
    written = write_store(tmp_path, count=2)
    prune_id = run_id_for("prune", {"n": 1})
    (tmp_path / "runs" / prune_id / "run.json").unlink()
    summary = tmp_path / "runs" / prune_id / "summary.json"
    summary.write_text(json.dumps({**json.loads(summary.read_text()), "model": "m", "dense_run_id": "finetune-y"}))
    (tmp_path / "runs" / prune_id / "manifest.json").unlink()  # written before manifests too
    os.truncate(tmp_path / "index.sqlite", 0)
    with pytest.warns(IndexRebuiltWarning, match="1 written before run.json"):
        store = RunStore(tmp_path)
    record = store.get(prune_id)
    assert (record.kind, record.model, record.parent, record.key, record.summary["accuracy"]) == \
        ("prune", "m", "finetune-y", {}, 0.1)
    assert rows_of(store).keys() == written.keys()


def test_a_run_json_that_does_not_give_its_folders_name_is_not_used(tmp_path):
    written = write_store(tmp_path, count=2)
    planted = tmp_path / "runs" / run_id_for("prune", {"n": 1}) / "run.json"
    planted.write_text(json.dumps({**json.loads(planted.read_text()), "key": {"n": 7}}))
    os.truncate(tmp_path / "index.sqlite", 0)
    with pytest.warns(IndexRebuiltWarning):
        store = RunStore(tmp_path)
    assert set(rows_of(store)) == set(written) - {run_id_for("prune", {"n": 1})}
    report, folders = store.reindex()
    assert report.unreadable == {run_id_for("prune", {"n": 1}): "run.json's kind and key do not give the folder's "
                                                                "name"}


def test_a_folder_that_its_writer_is_about_to_index_is_added_without_a_word(tmp_path, monkeypatch):
    import warnings

    monkeypatch.setattr("robustprune.index_rebuild.SETTLING_SECONDS", 60.0)
    written = write_store(tmp_path)
    os.truncate(tmp_path / "index.sqlite", 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert rows_of(RunStore(tmp_path)).keys() == written.keys()


def test_the_cli_lists_the_runs_of_a_store_whose_index_is_garbage_with_one_line(tmp_path):
    written = write_store(tmp_path)
    (tmp_path / "index.sqlite").write_bytes(os.urandom(40960))
    result = subprocess.run([sys.executable, "-m", "robustprune", "runs", "--json"], capture_output=True, text=True,
                            env={**os.environ, "ROBUSTPRUNE_HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert {run["run_id"] for run in json.loads(result.stdout)["runs"]} == \
        {run_id for run_id in written if not run_id.startswith("attack-shard")}
    lines = result.stderr.strip().splitlines()
    assert "Traceback" not in result.stderr and str(tmp_path) not in result.stderr
    assert lines[0].startswith("robustprune: warning: the run index could not be read (file is not a database)")


@pytest.mark.parametrize("how", ["emptied", "deleted", "garbage", "wal-without-database"])
def test_the_index_lost_while_another_process_reads_it_is_rebuilt_here_and_there(tmp_path, how):
    """A worker or a page holds its connection (and the write-ahead log's shared memory) while the index is lost:
    this process rebuilds it without waiting on their locks, and theirs reads the rebuilt one."""
    written = write_store(tmp_path)
    reader = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\n"
        "from robustprune.store import RunStore\n"
        f"store = RunStore({str(tmp_path)!r})\n"
        "print(len(store.list(kinds=('finetune', 'prune', 'attack'))), flush=True)\n"
        "sys.stdin.readline()\n"
        "print(len(store.list(kinds=('finetune', 'prune', 'attack'))), flush=True)\n")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "3"
        if how == "wal-without-database":
            wal = (tmp_path / "index.sqlite-wal").read_bytes()
            (tmp_path / "index.sqlite").unlink()
            (tmp_path / "index.sqlite-wal").write_bytes(wal)
        else:
            lose_index(tmp_path, how)
        with pytest.warns(IndexRebuiltWarning):
            assert rows_of(RunStore(tmp_path)).keys() == written.keys()
        reader.stdin.write("\n")
        reader.stdin.flush()
        assert reader.stdout.readline().strip() == "3"
    finally:
        reader.kill()
