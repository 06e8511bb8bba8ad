"""How long the missing cells of a sweep will take, from the runs this machine already made.

Every cached run records its time and device: fine-tunes and soups their seconds, pruning
runs ``prune_seconds``, attack runs their search's wall time per example. The estimate of
a missing cell is the median over past runs of the same model, kind (method, recipe) and
device type; a cell with no such history is counted apart rather than guessed.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from robustprune.device import resolve_device
from robustprune.store import PRUNING_KINDS, RunStore, run_id_for
from robustprune.sweep.plan import SweepPlan


@dataclass
class SweepEstimate:
    cells: int  # in the plan
    cached: int
    missing: int
    seconds: float  # estimated for the missing cells that have a history
    without_history: list[str] = field(default_factory=list)  # labels of missing cells with no past run to go by

    def describe(self) -> str:
        if not self.missing:
            return f"all {self.cells} runs are cached"
        text = f"{self.cached} of {self.cells} runs cached, {self.missing} to compute"
        unknown = len(self.without_history)
        reason = "no past run of the same kind with this model on this device"
        if self.seconds:
            text += f", about {format_seconds(self.seconds)} in this process"
            if unknown:
                text += f" for {self.missing - unknown} of them; {unknown} not estimated: {reason}"
        elif unknown:
            text += f" (not estimated: {reason})"
        return text


def format_seconds(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _device_type(text: str | None) -> str:
    text = (text or "").lower()
    return "cuda" if "gpu" in text or "cuda" in text else "cpu"


def history(store: RunStore, model: str) -> dict[tuple, list[float]]:
    """Seconds of past runs of ``model``, keyed like ``_history_key``: per run, or per example for attacks."""
    from robustprune.attack.reuse import DEVICES_JOINED

    runs = store.list()
    model_of = {record.run_id: record.model for record in runs}
    seen: dict[tuple, list[float]] = {}
    for record in runs:
        summary = record.summary
        if record.kind == "attack":
            inner = summary.get("summary", {})
            if model_of.get(summary.get("dense_run_id")) != model or not inner.get("num_examples"):
                continue
            if DEVICES_JOINED in (inner.get("device") or ""):  # searched partly on each of two devices: neither's pace
                continue
            key = ("attack", inner.get("recipe"), _device_type(inner.get("device")))
            seen.setdefault(key, []).append(inner["wall_seconds"] / inner["num_examples"])
        elif record.model == model and record.kind in ("finetune", "soup"):
            seen.setdefault((record.kind, None, _device_type(summary.get("device"))), []).append(summary["seconds"])
        elif record.model == model and record.kind == "prune":
            seen.setdefault(("prune", record.method, _device_type(summary.get("device"))), []).append(
                summary["prune_seconds"])
        elif record.model == model and record.kind == "structured":
            seen.setdefault(("structured", record.method, _device_type(summary.get("device"))), []).append(
                summary.get("prune_seconds", 0.0))
    return seen


def _texts(request) -> int:
    """How many texts an attack request attacks."""
    config = request.config
    return min(config.num_examples, len(request.texts.texts)) if request.texts else config.num_examples


def _searched_before(store: RunStore, data):
    """``searched(attack request)``: how many of its first texts a shorter cached run of it already searched (0
    without ``data``); one look-up per attack run."""
    from robustprune.attack.reuse import cached_prefix

    found: dict[str, int] = {}

    def searched(request) -> int:
        if data is None:
            return 0
        key = request.key(data)
        run_id = run_id_for("attack", key)
        if run_id not in found:
            prefix = cached_prefix(store, key, _texts(request))
            found[run_id] = prefix.count if prefix is not None else 0
        return found[run_id]

    return searched


def estimate_sweep(plan: SweepPlan, store: RunStore, device: str = "auto",
                   past: dict[tuple, list[float]] | None = None, cached: set[str] | None = None,
                   data=None) -> SweepEstimate:
    """What is cached and how long the rest takes in one process, from this store's history (``past``: its
    ``history`` of the plan's model, when already read; reading it parses every run's summary; ``cached``:
    ``plan.cached(store)``, when already known). With the plan's ``data``, an attack counts only the texts a
    shorter cached run of it has not searched (``attack.reuse``)."""
    device_type = resolve_device(device).type
    past = history(store, plan.spec.model) if past is None else past
    done = plan.cached(store) if cached is None else cached
    missing = [cell for cell in plan.cells if cell.run_id not in done]
    searched = _searched_before(store, data)
    seconds, unknown = 0.0, []
    for cell in missing:
        request = cell.request
        if cell.kind == "attack-shard":
            before = searched(request.attack)
            key, count = ("attack", request.attack.config.recipe, device_type), request.stop - max(request.start,
                                                                                                 before)
            if count <= 0:
                continue
        elif cell.kind == "attack" and request.shard_size is None:
            config = request.config
            count = _texts(request) - searched(request)
            key = ("attack", config.recipe, device_type)
        elif cell.kind == "attack":
            continue  # merging shards: seconds
        elif cell.kind in PRUNING_KINDS:
            method = request.config.method if cell.kind == "prune" else request.method
            key, count = (cell.kind, method, device_type), 1
        else:
            key, count = (cell.kind, None, device_type), 1
        if key in past:
            seconds += statistics.median(past[key]) * count
        else:
            unknown.append(cell.label)
    return SweepEstimate(len(plan.cells), len(plan.cells) - len(missing), len(missing), seconds, unknown)


__all__ = ["SweepEstimate", "estimate_sweep", "format_seconds", "history"]
