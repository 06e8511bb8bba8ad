"""Runs as plain data, to move between run stores: what a compute node gets instead of the store.

A Ray task computes in a scratch store of its own (a temporary folder): the driver ships
it the runs its cell needs (a dense model's weights, a pruning run's) as bundles through
Ray's object store, and imports the runs the task made from the bundles it returns. The
user's run store stays the single source of truth, written by the driver alone, with the
store's own atomic writes; a node never sees it.
"""

from __future__ import annotations

import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from robustprune.errors import RobustPruneError
from robustprune.store import RunStore, run_id_for


@dataclass
class RunBundle:
    """A finished run: its index row and its files (relative path -> bytes)."""

    run_id: str
    kind: str
    key: dict
    model: str | None
    dataset: str | None
    method: str | None
    parent: str | None
    summary: dict
    files: dict[str, bytes]

    @property
    def size_bytes(self) -> int:
        return sum(len(data) for data in self.files.values())


def export_run(store: RunStore, run_id: str) -> RunBundle:
    record = store.require(run_id)
    # the run's own summary and manifest are written anew by the store that imports it; files of the same name
    # inside the run (an attack result's attack/summary.json) are data like any other
    files = {str(path.relative_to(record.directory)): path.read_bytes()
             for path in sorted(record.directory.rglob("*"))
             if path.is_file() and str(path.relative_to(record.directory)) not in ("summary.json", "manifest.json")}
    return RunBundle(record.run_id, record.kind, record.key, record.model, record.dataset, record.method,
                     record.parent, record.summary, files)


def import_run(store: RunStore, bundle: RunBundle) -> str:
    """Write ``bundle`` into ``store`` (atomically, as any run); a run already there is kept."""
    if run_id_for(bundle.kind, bundle.key) != bundle.run_id:
        raise RobustPruneError(f"bundle {bundle.run_id} does not match its own key; it was not made by robustprune")
    if store.get(bundle.run_id) is not None:
        return bundle.run_id
    with store.write(bundle.kind, bundle.key, model=bundle.model, dataset=bundle.dataset, method=bundle.method,
                     parent=bundle.parent) as writer:
        for relative, data in bundle.files.items():
            target = writer.directory / relative
            if writer.directory.resolve() not in target.resolve().parents:
                raise RobustPruneError(f"bundle {bundle.run_id} names a file outside its run: {relative!r}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        writer.summary.update({name: value for name, value in bundle.summary.items() if name != "run_id"})
    return bundle.run_id


def lineage(store: RunStore, run_ids) -> list[str]:
    """The runs and every ancestor (``parent``) they need to be loaded, ancestors first."""
    ordered: list[str] = []

    def visit(run_id: str) -> None:
        if run_id in ordered:
            return
        record = store.require(run_id)
        if record.parent:
            visit(record.parent)
        ordered.append(run_id)

    for run_id in run_ids:
        visit(run_id)
    return ordered


@contextmanager
def scratch_store(bundles: list[RunBundle]) -> Iterator[RunStore]:
    """A temporary run store holding ``bundles``: where a compute node works."""
    with tempfile.TemporaryDirectory(prefix="robustprune-node-") as root:
        store = RunStore(Path(root))
        for bundle in bundles:
            import_run(store, bundle)
        yield store


def new_runs(store: RunStore, known: set[str]) -> list[RunBundle]:
    """Bundles of every run in ``store`` that is not in ``known`` (what a task made), parts of runs included."""
    from robustprune.store import INTERNAL_KINDS

    records = store.list() + [record for kind in INTERNAL_KINDS for record in store.list(kind=kind)]
    return [export_run(store, record.run_id) for record in records if record.run_id not in known]


__all__ = ["RunBundle", "export_run", "import_run", "lineage", "scratch_store", "new_runs"]
