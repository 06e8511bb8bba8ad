"""The compute device and the dense default model, for the entry page and the sidebar."""

from __future__ import annotations

from robustprune.dashboard.choices import DataChoice, default_dataset, default_model
from robustprune.dashboard.requests import DenseRequest
from robustprune.device import describe_device, resolve_device
from robustprune.finetune import FinetuneResult
from robustprune.store import RunStore


def device_line() -> str:
    return f"Compute: {describe_device(resolve_device('auto'))}"


def default_dense_request() -> DenseRequest:
    """The dense model every page starts from: default model and dataset, default fine-tuning."""
    return DenseRequest(default_model(), DataChoice(default_dataset()))


def dense_status(request: DenseRequest, task_data, store: RunStore | None = None) -> FinetuneResult | None:
    """The cached dense run of ``request``, or None if it is not trained yet."""
    record = (store or RunStore()).get(request.run_id(task_data))
    if record is None:
        return None
    fields = FinetuneResult.__dataclass_fields__
    return FinetuneResult(**{**{name: value for name, value in record.summary.items() if name in fields},
                             "cached": True})


__all__ = ["device_line", "default_dense_request", "dense_status"]
