"""The dense default model's status, for the entry page."""

from __future__ import annotations

from robustprune.data import load_task_data
from robustprune.device import describe_device, resolve_device
from robustprune.finetune import FinetuneConfig, FinetuneResult
from robustprune.progress import Progress
from robustprune.store import RunStore, run_id_for

DEFAULT_MODEL = "minilm"
DEFAULT_DATASET = "rotten_tomatoes"


def device_line() -> str:
    return f"Compute: {describe_device(resolve_device('auto'))}"


def default_dense_status(store: RunStore | None = None) -> FinetuneResult | None:
    """The cached dense default (default fine-tuning settings), or None if not trained yet."""
    from robustprune.pipeline import dense_key, with_max_length

    data = load_task_data(DEFAULT_DATASET)
    key = dense_key(DEFAULT_MODEL, data, with_max_length(FinetuneConfig(), data))
    record = (store or RunStore()).get(run_id_for("finetune", key))
    return None if record is None else FinetuneResult(**{**record.summary, "cached": True})


def build_default_dense(progress: Progress) -> FinetuneResult:
    from robustprune.pipeline import ensure_dense

    return ensure_dense(DEFAULT_MODEL, DEFAULT_DATASET, progress=progress)
