"""The request for one attack example explained (``attack.explain``)."""

from __future__ import annotations

from dataclasses import dataclass

from robustprune.attack.attribution import IGSettings
from robustprune.attack.explain import explanation_run_id
from robustprune.progress import silent
from robustprune.requests.base import RunRequest


@dataclass(frozen=True)
class AttributionRequest(RunRequest):
    """Attributions and per-layer cosine of example ``example`` of a cached attack run."""

    attack_run_id: str
    example: int
    settings: IGSettings = IGSettings()
    kind = "attribution"

    def run_id(self, data=None) -> str:
        return explanation_run_id(self.attack_run_id, self.example, self.settings)

    def run(self, store=None, data=None, device="auto", progress=silent, concurrency=None):
        from robustprune.attack.explain import explain_example

        return explain_example(self.attack_run_id, int(self.example), self.settings, store, device, progress)

    def describe(self) -> str:
        return f"Explaining example {self.example} of {self.attack_run_id}"

    def to_dict(self) -> dict:
        return {"attack": self.attack_run_id, "example": int(self.example), "ig": self.settings.to_dict()}

    @classmethod
    def from_dict(cls, params: dict) -> "AttributionRequest":
        return cls(params["attack"], int(params["example"]), IGSettings(**params.get("ig", {})))


__all__ = ["AttributionRequest"]
