"""A paper's whole setup as one choice.

``paper`` is the robust-pruning paper's recipe (Li et al., EMNLP 2023; see
``../shared/design/krp.md`` and ``soup.md``): the dense start is a greedy soup whose
candidates are ranked and admitted by accuracy under attack, the method is krp with the
pooler and classifier re-fitted to the dense outputs by least squares, calibration takes
512 training texts (the paper uses 256 to 1,024), at the paper's sparsities.

A preset only fills in settings: a run made with ``--preset paper`` is the run the same
settings make without it (one cache key), and any setting given explicitly wins.
``preset_of`` tells, from a run's recorded settings, whether it is a preset's run.
"""

from __future__ import annotations

from dataclasses import dataclass

from robustprune.errors import RobustPruneError


@dataclass(frozen=True)
class Preset:
    name: str
    summary: str
    dense_start: str
    soup: dict  # SoupConfig fields beyond the defaults
    method: str
    refit_head: bool
    calibration: int
    sparsities: tuple[float, ...]

    @property
    def method_variant(self) -> str:
        """The method as the sweep writes it (``krp+refit``)."""
        return self.method + ("+refit" if self.refit_head else "")


PRESETS = {
    "paper": Preset(
        "paper", "Li et al. (EMNLP 2023): greedy soup chosen by accuracy under attack, krp with the pooler and "
                 "classifier re-fitted, 512 calibration texts, 30 / 50 / 70 / 87.5 % sparsity",
        dense_start="soup", soup={"criterion": "attack"}, method="krp", refit_head=True, calibration=512,
        sparsities=(0.3, 0.5, 0.7, 0.875)),
}


def get_preset(name: str) -> Preset:
    if name not in PRESETS:
        raise RobustPruneError(f"unknown preset {name!r}; use one of {', '.join(PRESETS)}")
    return PRESETS[name]


def preset_of(prune_summary: dict, dense_summary: dict | None) -> str | None:
    """The preset whose settings a pruning run (its summary, and its dense start's) has, or None."""
    config = prune_summary.get("config") or {}
    for preset in PRESETS.values():
        if (prune_summary.get("dense_start", "finetune") == preset.dense_start
                and prune_summary.get("method") == preset.method
                and bool(config.get("refit_head")) == preset.refit_head
                and config.get("calibration") == preset.calibration
                and dense_summary is not None
                and all((dense_summary.get("config") or {}).get(name) == value
                        for name, value in preset.soup.items())):
            return preset.name
    return None


__all__ = ["Preset", "PRESETS", "get_preset", "preset_of"]
