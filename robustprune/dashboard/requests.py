"""What a page asks the backend for: core requests (``robustprune.requests``) built from the page's choices.

A page names a dataset as its widgets and URL do (``choices.DataChoice``: a registered name, an upload, a file
of the data folder); the request carries what the worker loads. The request's run id, computed without
computing anything, lets a page show a cached result at once and offer a job otherwise.
"""

from __future__ import annotations

from robustprune.attack.run import AttackConfig
from robustprune.dashboard.choices import DataChoice
from robustprune.finetune import FinetuneConfig
from robustprune.prune import PruneConfig
from robustprune.requests import AttackRequest, DataRef, PruneRequest, StructuredRequest
from robustprune.requests.dense import dense_request as core_dense_request
from robustprune.soup import SoupConfig
from robustprune.structured import KPruneConfig


def data_ref(choice: DataChoice) -> DataRef:
    """The dataset of a page's choice as a request carries it; RobustPruneError when the page refuses it."""
    return DataRef(**choice.job_fields())


def page_soup(criterion: str = "clean") -> SoupConfig:
    """The soup a page builds: the default one, chosen by clean held-out accuracy or under attack (the paper's)."""
    return SoupConfig(criterion=criterion)


def dense_request(model: str, choice: DataChoice, start: str = "finetune", soup_criterion: str = "clean"):
    """The dense start of (model, dataset) with default settings: one fine-tune, or the greedy soup."""
    return core_dense_request(start, model, data_ref(choice), FinetuneConfig(), page_soup(soup_criterion))


def prune_request(model: str, choice: DataChoice, config: PruneConfig, dense_start: str = "finetune",
                  soup_criterion: str = "clean") -> PruneRequest:
    """An unstructured pruning run of the dense start (fine-tune or soup) of (model, dataset)."""
    return PruneRequest(model, data_ref(choice), config, dense_start,
                        soup=page_soup(soup_criterion) if dense_start == "soup" else None)


def structured_request(model: str, choice: DataChoice, method: str, config: KPruneConfig,
                       dense_start: str = "finetune") -> StructuredRequest:
    """A structured pruning run (``kprune`` or ``structured-magnitude``) of the dense start of (model, dataset)."""
    return StructuredRequest(model, data_ref(choice), method, config, dense_start)


def attack_request(target: str, config: AttackConfig, model: str, choice: DataChoice) -> AttackRequest:
    """An attack on a cached pruning run (``target``: its id) or on the dense model (``"dense"``) of ``model``, on
    the test texts of the chosen dataset."""
    return AttackRequest(target, config, model, data_ref(choice))


__all__ = ["data_ref", "dense_request", "prune_request", "structured_request", "attack_request"]
