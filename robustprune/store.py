"""The run store: every fine-tune, pruning and attack run, cached on disk.

Layout under the cache root (``$ROBUSTPRUNE_HOME``, default ``~/.cache/robustprune``)::

    index.sqlite            one row per finished run (kind, model, dataset, method, key, summary)
    runs/<run_id>/          the run's files: summary.json, safetensors weights, Parquet tables
    runs/.partial-*/        runs being written; never read as finished
    locks/<run_id>.lock     held while a run is looked up, computed and written (``RunStore.lock``)

A run id is the kind plus a hash of everything that determines the result (its key).
Writes are atomic: files go to a partial folder, which is renamed into place, and only
then is the index row written. A run killed half-way leaves at most a partial folder,
which no reader treats as a run.

Every run's folder holds a ``manifest.json`` (``robustprune.manifest``): the size and
SHA-256 of each file, written inside the atomic write. A lookup checks the sizes; a lookup
with ``verify=True`` (made before a run's files are used) also checks the digests. A run
whose files no longer match is *damaged*: lookups treat it as missing (with a
``DamagedRunWarning``), so that asking for it again computes it again, and the new write
replaces the damaged folder.

The index is a cache of the run folders: each folder also holds its own index row (``run.json``,
``robustprune.run_folder``), and an index that is missing, emptied, truncated or unreadable is
rebuilt from the folders when it is opened (``robustprune.index_rebuild``; an unreadable file is
moved aside, never deleted). Nothing deletes a run folder for lacking an index row.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
import uuid
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from filelock import FileLock

from robustprune import paths
from robustprune.errors import RobustPruneError, StoreNotice
from robustprune.hashing import file_sha256, remember
from robustprune.index_connection import IndexConnection, forget_thread_connection, thread_connection, unreadable
from robustprune.index_rebuild import ReindexReport, adopt_unindexed, prepare_index, run_folders
from robustprune.manifest import MANIFEST, content_damage, size_damage, write_manifest
from robustprune.run_folder import IndexRow, canonical_json, run_id_for, write_run_record  # noqa: F401 (re-exported)

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    model TEXT,
    dataset TEXT,
    method TEXT,
    parent TEXT,
    key_json TEXT NOT NULL,
    summary_json TEXT NOT NULL,
    created REAL NOT NULL
);
"""


# what a run can be: a dense model, a pruned one, an attack, and what is derived from an attack (its child)
DENSE_KINDS = ("finetune", "soup")
PRUNING_KINDS = ("prune", "structured")  # unstructured (and N:M) pruning; heads and neurons removed
DERIVED_KINDS = ("attribution", "layer-auc", "projection")
ANSWER_KINDS = ("frontier",)  # what a question over many runs concluded (robustprune.frontier), its runs its evidence
RUN_KINDS = (*DENSE_KINDS, *PRUNING_KINDS, "attack", *DERIVED_KINDS, *ANSWER_KINDS)
# runs that are parts of other runs (an attack run's cached shards), left out of listings unless asked for
INTERNAL_KINDS = ("attack-shard",)
STORED_KINDS = (*RUN_KINDS, *INTERNAL_KINDS)  # every kind a run folder can be
INDEX_COLUMNS = ("kind", "model", "dataset", "method", "parent")  # what index_values reads
# the tables of the index file: the runs', and those other modules keep beside them (``add_index_schema``)
INDEX_SCHEMAS = [SCHEMA]


def add_index_schema(schema: str) -> None:
    """Tables another module keeps in the index file (the job queue's): created with the runs' table whenever the
    file is opened, a rebuilt one included."""
    if schema not in INDEX_SCHEMAS:
        INDEX_SCHEMAS.append(schema)


@dataclass
class RunRecord(IndexRow):
    """A finished run: its index row, and where its files are."""

    directory: Path
    damage: str | None = None  # why its files no longer match its manifest (``list(include_damaged=True)``)


class DamagedRunWarning(StoreNotice):
    """A cached run's files no longer match what was written; it is treated as missing."""


@dataclass
class RunWriter:
    """What a run being written fills in: files under ``directory``, and its summary."""

    directory: Path
    summary: dict = field(default_factory=dict)


def damaged_message(run_id: str, damage: str) -> str:
    return (f"cached run {run_id} is damaged ({damage}); it is treated as missing: ask for it again "
            "(the same command or page) to compute it again")


class RunStore:
    def __init__(self, root: Path | str | None = None) -> None:
        self.root = Path(root) if root is not None else paths.home()
        self.runs_dir = self.root / "runs"
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        with self.connect():  # opened, checked and rebuilt from the run folders where it lacks runs
            pass

    @contextmanager
    def connect(self) -> Iterator[IndexConnection]:
        """The index's connection for this thread, committed at the end of the block (rolled back on an error).

        Opening a connection and setting WAL mode costs about 0.3 ms, as much as the look-up itself, and a
        dashboard page makes dozens of look-ups: each thread of each process keeps one connection per index
        file, opened again when the file is another one (a store deleted and made anew at the same path)."""
        path = self.root / "index.sqlite"
        connection = thread_connection(path, self._prepare_index)
        try:
            yield IndexConnection(connection)
            connection.commit()
        except BaseException as error:
            try:
                connection.rollback()
            except sqlite3.Error:
                pass
            if isinstance(error, sqlite3.DatabaseError) and unreadable(error):  # the file went bad under us: the next
                forget_thread_connection(path)  # block opens it anew, and moves it aside and rebuilds it if need be
            raise

    def _prepare_index(self, connection) -> None:
        prepare_index(connection, self.runs_dir, INDEX_SCHEMAS, STORED_KINDS)

    def reindex(self) -> tuple[ReindexReport, int]:
        """Add to the index every run folder it lacks (what opening a store does where there are more folders than
        rows, on demand: ``robustprune runs --reindex``); the report and how many folders there are."""
        folders = run_folders(self.runs_dir)
        with self.connect() as connection:
            return adopt_unindexed(connection, folders, STORED_KINDS), len(folders)

    def directory(self, run_id: str) -> Path:
        return self.runs_dir / run_id

    def get(self, run_id: str, verify: bool = False) -> RunRecord | None:
        """The finished, intact run with this id, or None (never written, deleted, or damaged).

        Sizes are always checked; ``verify`` also checks every file's SHA-256 (once per file
        version in a process). A damaged run gives a ``DamagedRunWarning`` and None.
        """
        record, damage = self._lookup(run_id, verify)
        if damage is not None:
            warnings.warn(damaged_message(run_id, damage), DamagedRunWarning, stacklevel=2)
            return None
        return record

    def damage(self, run_id: str, verify: bool = True) -> str | None:
        """Why a cached run's files no longer match what was written, or None (intact, or not cached)."""
        return self._lookup(run_id, verify)[1]

    def require(self, run_id: str, verify: bool = False, kinds: tuple[str, ...] | None = None) -> RunRecord:
        """The intact run with this id; RobustPruneError says when it is not cached or damaged, and names cached
        runs to use instead (of ``kinds``, those the caller takes, when given)."""
        record, damage = self._lookup(run_id, verify)
        if damage is not None:
            raise RobustPruneError(damaged_message(run_id, damage))
        if record is None:
            known = ", ".join(self.suggestions(run_id, kinds)) or "none yet"
            raise RobustPruneError(f"no cached run {run_id!r}; `robustprune runs` lists them (e.g. {known})")
        return record

    def suggestions(self, run_id: str, kinds: tuple[str, ...] | None = None, count: int = 8) -> list[str]:
        """Cached runs (of ``kinds``) to name in place of a ``run_id`` that is not cached: those spelled like it
        (a mistyped or cut id) first, then the newest."""
        import difflib

        known = [run.run_id for run in self.list(kinds=kinds)]
        close = difflib.get_close_matches(run_id, known, n=3, cutoff=0.6)
        return list(dict.fromkeys(close + known))[:count]

    def list(self, kind: str | None = None, model: str | None = None, dataset: str | None = None,
             include_damaged: bool = False, parent: str | None = None,
             kinds: tuple[str, ...] | None = None) -> list[RunRecord]:
        """Finished runs, newest first; damaged ones (by their files' sizes) only with ``include_damaged``,
        each with its ``damage``; parts of runs (``INTERNAL_KINDS``) only when asked for by kind. ``kinds``: any
        of several kinds; ``parent``: the runs built on that run.

        Every run listed gets its files' sizes checked and its summary parsed (about 0.1 ms a run, most of it the
        parsing): filter here rather than after, and for choices that need only index columns (the models that
        have runs), read ``index_values``."""
        where, values = self._where(kind, kinds, model=model, dataset=dataset, parent=parent)
        with self.connect() as connection:
            rows = connection.execute(f"SELECT * FROM runs {where} ORDER BY created DESC", values).fetchall()
        records = []
        for row in rows:
            present, damage = self._folder_damage(row[0])
            if not present:
                continue
            if damage is None or include_damaged:
                record = self._record(row)
                record.damage = damage
                records.append(record)
        return records

    def intact(self, run_ids) -> set[str]:
        """The ids among ``run_ids`` of finished, intact runs (by their files' sizes): what ``get(run_id) is not
        None`` says of each, in one index query per 500 ids instead of one per id (a sweep's plan asks for
        hundreds, every two seconds while its page is open)."""
        wanted, found = list(dict.fromkeys(run_ids)), []
        with self.connect() as connection:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start:start + 500]
                found += [row[0] for row in connection.execute(
                    f"SELECT run_id FROM runs WHERE run_id IN ({', '.join('?' for _ in chunk)})", chunk).fetchall()]
        return {run_id for run_id in found if self._folder_damage(run_id) == (True, None)}

    def damaged(self) -> dict[str, str]:
        """Run id -> why, for every damaged run ``list`` leaves out (by its files' sizes), its summary unread: what
        ``list(include_damaged=True)`` says of damage, without building a record of every run."""
        where, values = self._where(None)
        with self.connect() as connection:
            run_ids = [row[0] for row in connection.execute(f"SELECT run_id FROM runs {where}", values).fetchall()]
        checked = {run_id: self._folder_damage(run_id) for run_id in run_ids}
        return {run_id: damage for run_id, (present, damage) in checked.items() if present and damage is not None}

    def index_values(self, *columns: str, kinds: tuple[str, ...] | None = None) -> list[tuple]:
        """The distinct ``columns`` (e.g. "model", "dataset") of finished runs of ``kinds`` (default: the kinds
        ``list`` shows), the newest run's first, read from the index alone: a run counts while its folder exists,
        its files unchecked and its summary unread. Choices (the models that have runs) cost a thousand-run
        store milliseconds this way, where ``list`` checks every run's files."""
        unknown = [column for column in columns if column not in INDEX_COLUMNS]
        if unknown or not columns:
            raise ValueError(f"index_values takes columns of {', '.join(INDEX_COLUMNS)}, not {unknown or 'none'}")
        where, values = self._where(None, kinds=kinds)
        listed = ", ".join(columns)
        with self.connect() as connection:  # one row per distinct value, with the ids of its runs
            rows = connection.execute(f"SELECT {listed}, GROUP_CONCAT(run_id, ' ') FROM runs {where} "
                                      f"GROUP BY {listed} ORDER BY MAX(created) DESC", values).fetchall()
        runs_dir = os.fspath(self.runs_dir)
        return [tuple(row[:-1]) for row in rows
                if any(os.path.isdir(f"{runs_dir}/{run_id}") for run_id in row[-1].split())]

    @staticmethod
    def _where(kind: str | None, kinds: tuple[str, ...] | None = None, **equal: str | None) -> tuple[str, list]:
        """The WHERE clause (and its values) of a listing: one kind, or several, or every kind but the internal
        ones; and each column of ``equal`` that is not None."""
        clauses, values = [], []
        if kind is not None:
            kinds = (kind,)
        if kinds is not None:
            clauses.append(f"kind IN ({', '.join('?' for _ in kinds)})")
            values.extend(kinds)
        else:
            clauses.append(f"kind NOT IN ({', '.join('?' for _ in INTERNAL_KINDS)})")
            values.extend(INTERNAL_KINDS)
        for column, value in equal.items():
            if value is not None:
                clauses.append(f"{column} = ?")
                values.append(value)
        return f"WHERE {' AND '.join(clauses)}", values

    def lock(self, run_id: str) -> FileLock:
        """The lock of one run, across processes: hold it around "look up, compute if missing, write", so that
        two identical requests compute once and the second reuses the first's run.

        ``with store.lock(run_id): ...`` waits as long as it takes; ``store.lock(run_id).acquire(timeout=s)``
        gives up after s seconds (``filelock.Timeout``). The kernel releases it when its holder dies. It is
        reentrant within a thread. Never take two runs' locks in an order that another caller could reverse:
        the pipeline takes a dense start's lock before, never inside, the lock of a run built on it (only a
        soup holds its own lock while its candidates take theirs).
        """
        folder = self.root / "locks"
        folder.mkdir(exist_ok=True)
        return FileLock(folder / f"{run_id}.lock", is_singleton=True)

    def count(self) -> int:
        """How many finished runs the index holds (a cheap check for "did anything change")."""
        return self.state()[0]

    def state(self) -> tuple[int, float]:
        """(how many runs, when the newest was written): changes whenever a run is added or deleted."""
        with self.connect() as connection:
            count, newest = connection.execute("SELECT COUNT(*), MAX(created) FROM runs").fetchone()
        return count, newest or 0.0

    @contextmanager
    def write(self, kind: str, key: dict, *, model: str | None = None, dataset: str | None = None,
              method: str | None = None, parent: str | None = None) -> Iterator[RunWriter]:
        """Write a run atomically: fill ``writer.directory`` and ``writer.summary`` inside the block."""
        run_id = run_id_for(kind, key)
        partial = self.runs_dir / f".partial-{run_id}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        partial.mkdir(parents=True)
        writer = RunWriter(partial)
        try:
            yield writer
            writer.summary["run_id"] = run_id
            (partial / "summary.json").write_text(json.dumps(writer.summary, indent=2, default=str))
            paths.permissions_as_created(partial)
            manifest = write_manifest(partial)
            row = IndexRow(run_id, kind, model, dataset, method, parent, key, writer.summary, time.time())
            write_run_record(partial, row, file_sha256(partial / MANIFEST))
            final = self.directory(run_id)
            if final.exists():  # a damaged run, or a leftover without an index row (killed between rename and insert)
                shutil.rmtree(final)
            os.rename(partial, final)
            for name, entry in manifest["files"].items():  # the digests just computed hold under the final name
                remember(final / name, entry["sha256"])
            with self.connect() as connection:
                connection.execute("INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", row.values())
            writer.directory = final
        finally:
            if partial.exists():
                shutil.rmtree(partial, ignore_errors=True)

    def delete(self, run_id: str) -> None:
        """Remove a run (a damaged one too) from the index and the disk."""
        if self.damage(run_id, verify=False) is None:
            self.require(run_id)
        with self.connect() as connection:
            connection.execute("DELETE FROM runs WHERE run_id = ?", (run_id,))
        shutil.rmtree(self.directory(run_id), ignore_errors=True)

    def remove_leftovers(self) -> int:
        """Delete what killed writers left half-done: the partial folders of processes that are gone (never listed);
        returns how many were removed. A finished folder without an index row (its writer killed between the
        rename and the insert) is a finished run: it is added to the index, never deleted."""
        import psutil

        removed = 0
        for folder in self.runs_dir.iterdir():
            if not folder.name.startswith(".partial-"):
                continue
            try:
                pid = int(folder.name.rsplit("-", 2)[1])  # .partial-<run_id>-<pid>-<random>
            except (IndexError, ValueError):
                continue
            if pid == os.getpid() or psutil.pid_exists(pid):
                continue
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
        self.reindex()  # finished runs whose writers died before their rows were inserted
        return removed

    def _lookup(self, run_id: str, verify: bool) -> tuple[RunRecord | None, str | None]:
        """(record, None) for an intact run, (None, why) for a damaged one, (None, None) for none."""
        with self.connect() as connection:
            row = connection.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            return None, None
        present, damage = self._folder_damage(run_id, verify)
        if not present:
            return None, None
        return (None, damage) if damage is not None else (self._record(row), None)

    def _folder_damage(self, run_id: str, verify: bool = False) -> tuple[bool, str | None]:
        """(whether the run's folder exists, why its files no longer match what was written or None): by their
        sizes, and with ``verify`` their digests. String paths: pathlib's parsing took a third of a long listing."""
        folder = f"{os.fspath(self.runs_dir)}/{run_id}"
        if not os.path.isdir(folder):
            return False, None
        return True, (content_damage(Path(folder)) if verify else size_damage(folder))

    def _record(self, row) -> RunRecord:
        run_id, kind, model, dataset, method, parent, key_json, summary_json, created = row
        return RunRecord(run_id, kind, model, dataset, method, parent, json.loads(key_json),
                         json.loads(summary_json), created, self.directory(run_id))
