"""(model, tokenizer) of a cached run of each kind that holds a model: dense, pruned, structured."""

from __future__ import annotations

from safetensors.torch import load_file

from robustprune.device import resolve_device
from robustprune.errors import RobustPruneError
from robustprune.store import RunStore


def load_dense(run_id: str, device: str = "auto", store: RunStore | None = None):
    """(model, tokenizer) of a cached fine-tuning run, on ``device``, in eval mode."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    record = (store or RunStore()).require(run_id, verify=True)
    folder = record.directory / "model"
    model = AutoModelForSequenceClassification.from_pretrained(folder, trust_remote_code=False)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    return model.to(resolve_device(device)).eval(), tokenizer


def load_pruned(run_id: str, device: str = "auto", store: RunStore | None = None):
    """(model, tokenizer) of a cached pruning run: its dense parent with the pruned weights."""
    store = store or RunStore()
    record = store.require(run_id, verify=True)
    if record.kind != "prune":
        raise RobustPruneError(f"run {run_id!r} is of kind '{record.kind}', not a pruning run")
    model, tokenizer = load_dense(record.parent, device, store)
    weights = load_file(str(record.directory / "weights.safetensors"), device=str(next(model.parameters()).device))
    missing, unexpected = model.load_state_dict(weights, strict=False)
    if unexpected:
        raise RobustPruneError(f"run {run_id!r} holds weights its dense model lacks: {unexpected[:3]}")
    return model.eval(), tokenizer


def load_structured_run(run_id: str, device: str = "auto", store: RunStore | None = None):
    """(model, tokenizer) of a cached structured run: the smaller model, on ``device``."""
    from transformers import AutoTokenizer

    from robustprune.structured import load_structured

    record = (store or RunStore()).require(run_id, verify=True)
    if record.kind != "structured":
        raise RobustPruneError(f"run {run_id!r} is of kind '{record.kind}', not a structured pruning run")
    model = load_structured(record.directory / "model").to(resolve_device(device)).eval()
    return model, AutoTokenizer.from_pretrained(record.directory / "model")


__all__ = ["load_dense", "load_pruned", "load_structured_run"]
