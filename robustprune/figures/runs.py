"""The Runs page's data: every cached run as a table, two runs compared, exports and model downloads."""

from __future__ import annotations

import io
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from robustprune.errors import RobustPruneError
from robustprune.labels import run_method_label
from robustprune.store import RunStore

RUN_COLUMNS = ["run", "kind", "model", "dataset", "method", "sparsity", "accuracy", "accuracy_under_attack",
               "parent", "created"]
MODEL_FOLDER_KINDS = ("finetune", "soup", "structured")  # runs that hold a save_pretrained folder
DOWNLOADABLE_KINDS = (*MODEL_FOLDER_KINDS, "prune")
EXPORT_FORMATS = {"CSV": ("text/csv", "csv"), "Parquet": ("application/vnd.apache.parquet", "parquet")}


def list_runs_frame(store: RunStore | None = None) -> pd.DataFrame:
    """One row per cached run, newest first; accuracy is the clean accuracy of the run's model (for an attack
    run: on the attacked examples); an N:M run's method names its pattern ("krp 2:4")."""
    return runs_frame((store or RunStore()).list())


@dataclass
class DamagedRun:
    run_id: str
    kind: str
    damage: str  # why its files no longer match what was written


def runs_and_damage(store: RunStore, every_run: pd.DataFrame) -> tuple[pd.DataFrame, list[DamagedRun]]:
    """(the rows of ``every_run`` that are intact, the damaged runs), ``every_run`` being ``runs_frame`` of every
    run, damaged or not (built once per state of the store: ``cached.every_run``). Damage is checked now, by the
    files' sizes (``RunStore.damaged``), so a run damaged since that frame was built is caught."""
    damaged = store.damaged()
    kinds = dict(zip(every_run["run"], every_run["kind"]))
    return every_run[~every_run["run"].isin(list(damaged))].reset_index(drop=True), \
        [DamagedRun(run_id, kinds.get(run_id, "run"), why) for run_id, why in damaged.items()]


def runs_frame(records: list) -> pd.DataFrame:
    """``list_runs_frame`` of these runs."""
    rows = []
    for record in records:
        summary = record.summary
        attack = summary.get("summary") if isinstance(summary.get("summary"), dict) else summary
        rows.append({"run": record.run_id, "kind": record.kind, "model": record.model, "dataset": record.dataset,
                     "method": run_method_label(record), "sparsity": summary.get("sparsity"),
                     "accuracy": summary.get("accuracy_sparse", summary.get("accuracy", attack.get("clean_accuracy"))),
                     "accuracy_under_attack": attack.get("accuracy_under_attack"), "parent": record.parent,
                     "created": record.created})
    frame = pd.DataFrame(rows, columns=RUN_COLUMNS)
    frame["created"] = pd.to_datetime(frame["created"], unit="s").dt.floor("s")
    return frame


def filter_runs(frame: pd.DataFrame, **allowed: list[str]) -> pd.DataFrame:
    """Rows whose ``column`` is in ``allowed[column]``; an empty or missing list allows everything."""
    for column, values in allowed.items():
        if values:
            frame = frame[frame[column].isin(values)]
    return frame


def default_comparison(frame: pd.DataFrame) -> tuple[int, int]:
    """Positions in ``frame`` (newest first) of the two runs a comparison starts with: the newest pruning run and
    the newest other-method run of its model, dataset and sparsity (their errors over depth side by side); else
    the two newest runs that hold a model (not an attack or what was computed from one); else the first two."""
    prunes = [position for position, kind in enumerate(frame["kind"]) if kind == "prune"]
    if prunes:
        first = frame.iloc[prunes[0]]
        rival = next((position for position in prunes[1:] if frame.iloc[position]["method"] != first["method"]
                      and all(frame.iloc[position][column] == first[column]
                              for column in ("model", "dataset", "sparsity"))), None)
        if rival is not None:
            return prunes[0], rival
    models = [position for position, kind in enumerate(frame["kind"]) if kind in DOWNLOADABLE_KINDS]
    if len(models) >= 2:
        return models[0], models[1]
    return 0, max(min(1, len(frame) - 1), 0)


def flatten(value, prefix: str = "") -> dict[str, str]:
    """A summary as (dotted field, short text) pairs; long lists are summarised, not printed."""
    if isinstance(value, dict):
        items = {}
        for key, inner in value.items():
            items.update(flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
        return items
    if isinstance(value, list) and (len(value) > 12 or any(isinstance(item, (dict, list)) for item in value)):
        return {prefix: f"[{len(value)} items]"}
    if isinstance(value, float):
        return {prefix: f"{value:.6g}"}
    return {prefix: str(value)}


def compare_frame(store: RunStore, run_a: str, run_b: str) -> pd.DataFrame:
    """Two runs' summaries side by side (field, a, b, differs), differing fields first."""
    a, b = store.require(run_a), store.require(run_b)
    fields_a = {"kind": a.kind, "parent": str(a.parent), **flatten(a.summary)}
    fields_b = {"kind": b.kind, "parent": str(b.parent), **flatten(b.summary)}
    names = list(dict.fromkeys([*fields_a, *fields_b]))
    frame = pd.DataFrame({"field": names, run_a: [fields_a.get(name, "") for name in names],
                          run_b: [fields_b.get(name, "") for name in names]})
    frame["differs"] = frame[run_a] != frame[run_b]
    return frame.sort_values("differs", ascending=False, kind="stable").reset_index(drop=True)


def dependents(store: RunStore, run_id: str) -> list[str]:
    """Runs built on ``run_id`` (its pruned models, attacks on it, ...), recursively."""
    children = [record.run_id for record in store.list(parent=run_id)]
    return children + [grandchild for child in children for grandchild in dependents(store, child)]


def delete_run(store: RunStore, run_id: str) -> list[str]:
    """Delete a run and every run built on it (they could not be loaded without it); returns the ids deleted."""
    doomed = [*dependents(store, run_id)[::-1], run_id]
    for doomed_id in doomed:
        if store.get(doomed_id) is not None:
            store.delete(doomed_id)
    return doomed


def export_bytes(frame: pd.DataFrame, fmt: str) -> bytes:
    if fmt == "CSV":  # a text cell that a spreadsheet would run as a formula gets a leading apostrophe
        from robustprune.spreadsheet_safety import neutralised

        return neutralised(frame).to_csv(index=False).encode()
    if fmt == "Parquet":
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        return buffer.getvalue()
    raise RobustPruneError(f"unknown export format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}")


def zip_folder(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


def model_archive(run_id: str, store: RunStore | None = None) -> bytes:
    """A zip of a run's model as ``save_pretrained`` writes it (config.json, model.safetensors, tokenizer):
    unzip and load with ``AutoModelForSequenceClassification.from_pretrained(folder)``.

    A pruning run stores only its pruned weights; they are put into its dense parent here.
    (A structured run's folder needs ``robustprune.structured.load_structured``: its layers differ in width.)
    """
    store = store or RunStore()
    record = store.require(run_id, verify=True)
    if record.kind in MODEL_FOLDER_KINDS:
        return zip_folder(record.directory / "model")
    if record.kind != "prune":
        raise RobustPruneError(f"run {run_id} is of kind '{record.kind}': it has no model to download")
    from robustprune.pipeline import load_pruned

    model, tokenizer = load_pruned(run_id, device="cpu", store=store)
    with tempfile.TemporaryDirectory() as folder:
        model.save_pretrained(folder, safe_serialization=True)
        tokenizer.save_pretrained(folder)
        return zip_folder(Path(folder))


__all__ = ["default_comparison", "list_runs_frame", "runs_and_damage", "runs_frame", "DamagedRun", "filter_runs", "compare_frame", "dependents",
           "delete_run", "export_bytes", "model_archive", "DOWNLOADABLE_KINDS", "EXPORT_FORMATS"]
