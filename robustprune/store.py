"""The run store: every fine-tune, pruning and attack run, cached on disk.

Layout under the cache root (``$ROBUSTPRUNE_HOME``, default ``~/.cache/robustprune``)::

    index.sqlite            one row per finished run (kind, model, dataset, method, key, summary)
    runs/<run_id>/          the run's files: summary.json, safetensors weights, Parquet tables
    runs/.partial-*/        runs being written; never read as finished

A run id is the kind plus a hash of everything that determines the result (its key).
Writes are atomic: files go to a partial folder, which is renamed into place, and only
then is the index row written. A run killed half-way leaves at most a partial folder,
which no reader treats as a run.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from robustprune import paths
from robustprune.errors import RobustPruneError

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


# runs that are parts of other runs (an attack run's cached shards), left out of listings unless asked for
INTERNAL_KINDS = ("attack-shard",)


@dataclass
class RunRecord:
    run_id: str
    kind: str
    model: str | None
    dataset: str | None
    method: str | None
    parent: str | None
    key: dict
    summary: dict
    created: float
    directory: Path


@dataclass
class RunWriter:
    """What a run being written fills in: files under ``directory``, and its summary."""

    directory: Path
    summary: dict = field(default_factory=dict)


def canonical_json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def run_id_for(kind: str, key: dict) -> str:
    return f"{kind}-{hashlib.sha256(canonical_json({'kind': kind, **key}).encode()).hexdigest()[:12]}"


class RunStore:
    def __init__(self, root: Path | str | None = None) -> None:
        self.root = Path(root) if root is not None else paths.home()
        self.runs_dir = self.root / "runs"
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        with self.connect() as connection:
            connection.executescript(SCHEMA)

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        connection = sqlite3.connect(self.root / "index.sqlite", timeout=30)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            yield connection
            connection.commit()
        finally:
            connection.close()

    def directory(self, run_id: str) -> Path:
        return self.runs_dir / run_id

    def get(self, run_id: str) -> RunRecord | None:
        """The finished run with this id, or None."""
        with self.connect() as connection:
            row = connection.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None or not self.directory(run_id).is_dir():
            return None
        return self._record(row)

    def require(self, run_id: str) -> RunRecord:
        record = self.get(run_id)
        if record is None:
            known = ", ".join(run.run_id for run in self.list()[:8]) or "none yet"
            raise RobustPruneError(f"no cached run {run_id!r}; `robustprune runs` lists them (e.g. {known})")
        return record

    def list(self, kind: str | None = None, model: str | None = None, dataset: str | None = None) -> list[RunRecord]:
        """Finished runs, newest first; parts of runs (``INTERNAL_KINDS``) only when asked for by kind."""
        clauses, values = [], []
        if kind is None:
            clauses.append(f"kind NOT IN ({', '.join('?' for _ in INTERNAL_KINDS)})")
            values.extend(INTERNAL_KINDS)
        for column, value in (("kind", kind), ("model", model), ("dataset", dataset)):
            if value is not None:
                clauses.append(f"{column} = ?")
                values.append(value)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self.connect() as connection:
            rows = connection.execute(f"SELECT * FROM runs {where} ORDER BY created DESC", values).fetchall()
        return [self._record(row) for row in rows if self.directory(row[0]).is_dir()]

    def count(self) -> int:
        """How many finished runs the index holds (a cheap check for "did anything change")."""
        with self.connect() as connection:
            return connection.execute("SELECT COUNT(*) FROM runs").fetchone()[0]

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
            final = self.directory(run_id)
            if final.exists():  # a leftover without an index row (killed between rename and insert)
                shutil.rmtree(final)
            os.rename(partial, final)
            with self.connect() as connection:
                connection.execute(
                    "INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (run_id, kind, model, dataset, method, parent, canonical_json(key),
                     json.dumps(writer.summary, default=str), time.time()))
            writer.directory = final
        finally:
            if partial.exists():
                shutil.rmtree(partial, ignore_errors=True)

    def delete(self, run_id: str) -> None:
        self.require(run_id)
        with self.connect() as connection:
            connection.execute("DELETE FROM runs WHERE run_id = ?", (run_id,))
        shutil.rmtree(self.directory(run_id), ignore_errors=True)

    def _record(self, row) -> RunRecord:
        run_id, kind, model, dataset, method, parent, key_json, summary_json, created = row
        return RunRecord(run_id, kind, model, dataset, method, parent, json.loads(key_json),
                         json.loads(summary_json), created, self.directory(run_id))
