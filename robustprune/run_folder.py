"""What a run's folder says about itself: enough to rebuild the store's index from the folders alone.

The index (``index.sqlite``) is a cache of the run folders. Each finished folder holds, beside its
files and ``manifest.json``, a ``run.json``: the index row it was written with (kind, key, model,
dataset, method, parent, when it was written) and the SHA-256 of its manifest. A run id is the kind
plus a hash of the key (``run_id_for``), so ``run.json`` checks itself: a row whose kind and key do
not hash to the folder's name is not used.

Folders written before ``run.json`` existed are given one from their index row the first time a
store opens their index (``RunStore``'s migration). A folder that lost its index row before that
(a lost index, an old version) is rebuilt as far as it tells: its kind from its name, its summary
from ``summary.json``, model, dataset, method and parent from the summary where it names them; its
key is unknown (``{}``), which only shipping it to another node needs.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

RUN_RECORD = "run.json"
SUMMARY = "summary.json"


def canonical_json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def run_id_for(kind: str, key: dict) -> str:
    return f"{kind}-{hashlib.sha256(canonical_json({'kind': kind, **key}).encode()).hexdigest()[:12]}"


@dataclass
class IndexRow:
    """One row of the index: what ``RunStore.write`` inserts, and what a run's folder holds in ``run.json``."""

    run_id: str
    kind: str
    model: str | None
    dataset: str | None
    method: str | None
    parent: str | None
    key: dict
    summary: dict
    created: float

    def values(self) -> tuple:
        """The row's values in the index's column order."""
        return (self.run_id, self.kind, self.model, self.dataset, self.method, self.parent, canonical_json(self.key),
                json.dumps(self.summary, default=str), self.created)


def write_run_record(folder: Path, row: IndexRow, manifest_sha256: str | None) -> None:
    """``run.json`` in ``folder`` (atomically): the row without its summary (``summary.json`` holds it), and the
    manifest's digest (None: the run was written before manifests)."""
    record = {name: value for name, value in asdict(row).items() if name != "summary"}
    record["manifest_sha256"] = manifest_sha256
    partial = folder / f".{RUN_RECORD}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
    partial.write_text(json.dumps(record, indent=1, sort_keys=True, default=str))
    os.replace(partial, folder / RUN_RECORD)


def read_run_record(folder: Path | str) -> dict | None:
    """The parsed ``run.json`` of ``folder``; None when there is none or it cannot be read as one."""
    try:
        with open(os.path.join(folder, RUN_RECORD), encoding="utf-8") as handle:
            record = json.load(handle)
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def row_from_folder(folder: Path, kinds: tuple[str, ...]) -> tuple[IndexRow | None, str | None]:
    """(the index row ``folder`` was written with, None), or (None, why it cannot be told). ``kinds``: the kinds a
    run can be (a folder named otherwise is not a run)."""
    run_id = folder.name
    summary = read_summary(folder)
    record = read_run_record(folder)
    if record is not None:
        try:
            row = IndexRow(run_id, record["kind"], record.get("model"), record.get("dataset"), record.get("method"),
                           record.get("parent"), record["key"], summary or {}, float(record["created"]))
        except (KeyError, TypeError, ValueError):
            return None, f"{RUN_RECORD} lacks a kind, key or time"
        if not isinstance(row.key, dict) or run_id_for(row.kind, row.key) != run_id:
            return None, f"{RUN_RECORD}'s kind and key do not give the folder's name"
        return row, None
    kind = run_id.rsplit("-", 1)[0]
    if kind not in kinds or len(run_id) != len(kind) + 13:
        return None, f"not a run folder (no {RUN_RECORD}, and its name is not <kind>-<12 hex digits>)"
    if summary is None:
        return None, f"no {RUN_RECORD} and no readable {SUMMARY}"
    # written before run.json: what the summary names, the rest unknown
    parent = next((summary[name] for name in ("parent", "dense_run_id", "target_run_id", "attack_run_id")
                   if isinstance(summary.get(name), str)), None)
    created = os.stat(folder / SUMMARY).st_mtime
    return IndexRow(run_id, kind, summary.get("model"), summary.get("dataset"), summary.get("method"), parent, {},
                    summary, created), None


def read_summary(folder: Path) -> dict | None:
    try:
        summary = json.loads((folder / SUMMARY).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return summary if isinstance(summary, dict) else None


__all__ = ["RUN_RECORD", "SUMMARY", "IndexRow", "canonical_json", "run_id_for", "write_run_record",
           "read_run_record", "row_from_folder", "read_summary"]
