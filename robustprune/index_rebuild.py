"""The run index is a cache of the run folders: checked when it is opened, and rebuilt from them where it lacks runs.

Each time a process (thread) opens the index file (``index_connection.thread_connection``), ``prepare_index``:

1. creates the tables (the runs, and whatever else shares the file: the job queue's tables);
2. asks SQLite for a quick integrity check; a failure raises, and the file is moved aside and made anew;
3. once per index file, gives every run folder written before ``run.json`` existed its ``run.json`` from its row
   (``PRAGMA user_version`` 0 -> 1), so that its row can be rebuilt exactly later;
4. where there are more run folders than rows (an index emptied, deleted, truncated, replaced; a writer killed
   between its folder's rename and its row's insert), adds the rows of the folders that have none
   (``adopt_unindexed``), from their ``run.json`` and ``summary.json``, and says so in one line unless
   every folder it added was written in the last ``SETTLING_SECONDS`` (a live writer between its rename and
   its insert).

A folder is never deleted for lacking a row: the index is what gets repaired.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from robustprune.hashing import file_sha256
from robustprune.index_connection import IndexRebuiltWarning
from robustprune.manifest import MANIFEST
from robustprune.run_folder import IndexRow, RUN_RECORD, row_from_folder, write_run_record

INDEX_VERSION = 1  # 1: every run folder has its run.json
# a writer renames its folder into place, then inserts its row, milliseconds apart: a folder younger than this that
# the index lacks is added without a word (its writer is about to add it too; ``INSERT OR IGNORE`` lets either win)
SETTLING_SECONDS = 10.0


@dataclass
class ReindexReport:
    """What a rebuild of the index did: the run ids it added, and the folders it could not tell (name -> why)."""

    added: list[str] = field(default_factory=list)
    settled: list[str] = field(default_factory=list)  # added, and older than a writer takes to insert its row
    unreadable: dict[str, str] = field(default_factory=dict)
    key_unknown: list[str] = field(default_factory=list)  # added from folders written before run.json

    def line(self, folders: int) -> str:
        text = f"{len(self.added)} of {folders} run folders added to the index"
        if self.key_unknown:
            text += (f" ({len(self.key_unknown)} written before run.json: listed and usable, their cache key "
                     "unknown)")
        if self.unreadable:
            names = ", ".join(f"{name} ({why})" for name, why in list(self.unreadable.items())[:3])
            text += f"; {len(self.unreadable)} folders are not runs and were left as they are: {names}"
        return text


def run_folders(runs_dir: Path) -> list[Path]:
    """The folders under ``runs_dir`` that may be finished runs (a writer's ``.partial-*`` folders are not)."""
    with os.scandir(runs_dir) as entries:
        return [Path(entry.path) for entry in entries if not entry.name.startswith(".") and entry.is_dir()]


def prepare_index(connection: sqlite3.Connection, runs_dir: Path, schemas: list[str], kinds: tuple[str, ...]) -> None:
    """Steps 1-4 of the module's docstring, on a connection just opened."""
    for schema in schemas:
        connection.executescript(schema)
    problems = [row[0] for row in connection.execute("PRAGMA quick_check").fetchall()]
    if problems != ["ok"]:
        raise sqlite3.DatabaseError(f"integrity check: {'; '.join(problems[:2])}")
    if connection.execute("PRAGMA user_version").fetchone()[0] < INDEX_VERSION:
        give_folders_their_record(connection, runs_dir)
        connection.execute(f"PRAGMA user_version = {INDEX_VERSION}")
        connection.commit()
    rows = connection.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
    folders = run_folders(runs_dir)
    if len(folders) > rows:
        report = adopt_unindexed(connection, folders, kinds)
        connection.commit()
        if report.settled:
            warnings.warn(IndexRebuiltWarning(f"the run index lacked runs that are on disk: {report.line(len(folders))}"),
                          stacklevel=2)


def adopt_unindexed(connection: sqlite3.Connection, folders: list[Path], kinds: tuple[str, ...]) -> ReindexReport:
    """Insert the row of each folder in ``folders`` that the index lacks (a row its writer inserts meanwhile wins
    as well: ``INSERT OR IGNORE`` here, ``INSERT OR REPLACE`` there)."""
    indexed = {row[0] for row in connection.execute("SELECT run_id FROM runs")}
    report = ReindexReport()
    settled = time.time() - SETTLING_SECONDS
    for folder in folders:
        if folder.name in indexed:
            continue
        try:
            young = folder.stat().st_mtime > settled
        except FileNotFoundError:  # deleted meanwhile
            continue
        row, why = row_from_folder(folder, kinds)
        if row is None:
            report.unreadable[folder.name] = why
            continue
        connection.execute("INSERT OR IGNORE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", row.values())
        report.added.append(row.run_id)
        if not young:
            report.settled.append(row.run_id)
        if not (folder / RUN_RECORD).exists():
            report.key_unknown.append(row.run_id)
    return report


def give_folders_their_record(connection: sqlite3.Connection, runs_dir: Path) -> None:
    """A ``run.json`` from its row for every indexed run folder that has none (written before it existed)."""
    for run_id, kind, model, dataset, method, parent, key_json, created in connection.execute(
            "SELECT run_id, kind, model, dataset, method, parent, key_json, created FROM runs").fetchall():
        folder = runs_dir / run_id
        if not folder.is_dir() or (folder / RUN_RECORD).exists():
            continue
        manifest = folder / MANIFEST
        row = IndexRow(run_id, kind, model, dataset, method, parent, json.loads(key_json), {}, created)
        try:
            write_run_record(folder, row, file_sha256(manifest) if manifest.exists() else None)
        except OSError:  # a read-only store is read as it is; its folders get theirs when it is writable
            pass


__all__ = ["INDEX_VERSION", "ReindexReport", "adopt_unindexed", "prepare_index", "run_folders"]
