"""The request for the 2-D projection of an attack run's pairs (``attack.projection``)."""

from __future__ import annotations

from dataclasses import dataclass

from robustprune.attack.projection import projection_run_id
from robustprune.progress import silent
from robustprune.requests.base import OfAttackRun


@dataclass(frozen=True)
class ProjectionRequest(OfAttackRun):
    """The original and perturbed texts of a cached attack run, projected to 2-D in each of its models."""

    kind = "projection"

    def run_id(self, data=None) -> str:
        return projection_run_id(self.attack_run_id)

    def describe(self) -> str:
        return f"Projecting the pairs of {self.attack_run_id}"

    def run(self, store=None, data=None, device="auto", progress=silent, concurrency=None):
        from robustprune.attack.projection import ensure_projection

        return ensure_projection(self.attack_run_id, store, device, progress)


__all__ = ["ProjectionRequest"]
