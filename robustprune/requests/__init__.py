"""One request per kind of run: what the CLI builds from flags, a page from widgets, the job table stores, a
sweep's plan is a graph of, and a Ray task carries (``base.RunRequest``: its run id, the runs it needs first,
how to compute itself, and ``to_dict`` / ``from_dict``).

A new kind of run is one module here and one line below.
"""

from __future__ import annotations

from robustprune.errors import RobustPruneError
from robustprune.requests.attack import AttackRequest, AttackShardRequest
from robustprune.requests.attribution import AttributionRequest
from robustprune.requests.base import DataRef, RunRequest
from robustprune.requests.dense import FinetuneRequest, SoupCandidateRequest, SoupRequest
from robustprune.requests.frontier import FrontierRequest
from robustprune.requests.layer_auc import LayerAUCRequest
from robustprune.requests.projection import ProjectionRequest
from robustprune.requests.prune import PruneRequest, StructuredRequest
from robustprune.requests.sweep import SweepRequest

REQUESTS: dict[str, type[RunRequest]] = {}


def register(request_type: type[RunRequest]) -> type[RunRequest]:
    REQUESTS[request_type.kind] = request_type
    return request_type


register(FinetuneRequest)
register(SoupRequest)
register(SoupCandidateRequest)
register(PruneRequest)
register(StructuredRequest)
register(AttackRequest)
register(AttackShardRequest)
register(AttributionRequest)
register(LayerAUCRequest)
register(ProjectionRequest)
register(SweepRequest)
register(FrontierRequest)


def request_type(kind: str) -> type[RunRequest]:
    if kind not in REQUESTS:
        raise RobustPruneError(f"unknown job kind {kind!r}; use one of {', '.join(REQUESTS)}")
    return REQUESTS[kind]


def request_from_dict(kind: str, params: dict) -> RunRequest:
    """The request a job of ``kind`` with ``params`` (``RunRequest.to_dict``) stands for."""
    return request_type(kind).from_dict(params)


__all__ = ["REQUESTS", "register", "request_type", "request_from_dict", "DataRef", "RunRequest", "FinetuneRequest",
           "SoupRequest", "SoupCandidateRequest", "PruneRequest", "StructuredRequest", "AttackRequest",
           "AttackShardRequest", "AttributionRequest", "LayerAUCRequest", "ProjectionRequest", "SweepRequest",
           "FrontierRequest"]
