"""What a frontier request asks: up to which sparsity does a method keep the dense start's robustness?

A ``FrontierRequest`` is one method or several, one attack or several, on one model and
dataset: everything a sweep takes (``SweepSpec``: the dense start, seeds, calibration, the
attack's settings, the number of test sentences), plus

- ``margin_points`` (m): a sparsity is *kept* when the 95 % interval of the difference in
  accuracy under attack against the dense start lies above −m points (``verdict.py``);
- ``levels``: the sparsities probed first, the paper's 30 / 50 / 70 / 87.5 % by default;
- ``resolution``: the bisection stops at gaps of this size (``search.py``).

It is a request like any other (``robustprune.requests``): the CLI builds it from flags, the
Frontier page from widgets, the job table stores it (``to_dict`` / ``from_dict``), and its run,
kind ``frontier``, holds the answer (``frontier.run.save_frontier``); its probes are the sweep's
cells, ordinary cached runs. ``validate`` refuses, before anything is computed, what cannot
work, with one line that says what would.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from robustprune.errors import RobustPruneError
from robustprune.progress import silent
from robustprune.requests.base import RunRequest
from robustprune.sweep.spec import MethodVariant, SweepSpec

KIND = "frontier"
PAPER_LEVELS = (0.3, 0.5, 0.7, 0.875)


@dataclass(frozen=True)
class FrontierRequest(RunRequest):
    sweep: SweepSpec = field(default_factory=SweepSpec)  # its sparsities are the levels; the search adds more
    margin_points: float = 5.0
    resolution: float = 0.025
    levels: tuple[float, ...] = PAPER_LEVELS
    preset: str | None = None  # the preset whose setup this is (labels only: the settings are in ``sweep``)
    ray: str | None = None  # where its probes run: this process (None) or Ray at this address
    kind = KIND

    def __post_init__(self) -> None:
        levels = tuple(float(level) for level in self.levels)
        object.__setattr__(self, "levels", levels)
        if tuple(self.sweep.sparsities) != levels:
            object.__setattr__(self, "sweep", replace(self.sweep, sparsities=levels))

    @property
    def margin(self) -> float:
        """The margin as a fraction (5 points = 0.05)."""
        return self.margin_points / 100

    @property
    def variants(self) -> list[MethodVariant]:
        return self.sweep.variants

    def label(self, variant: MethodVariant) -> str:
        return variant.label + (f" ({self.preset} setup)" if self.preset else "")

    def probe_spec(self, sparsities, methods=None, recipes=None) -> SweepSpec:
        """The sweep that probes these sparsities (of these methods, under these recipes; default all)."""
        return replace(self.sweep, sparsities=tuple(sparsities), methods=tuple(methods or self.sweep.methods),
                       recipes=tuple(recipes or self.sweep.recipes))

    # -- checks, before any work
    def validate(self, data) -> None:
        """Raise a one-line RobustPruneError for a request that cannot work on ``data`` (a ``TaskData``)."""
        if not 0 <= self.margin_points < 100:
            raise RobustPruneError(f"--margin must be in [0, 100) percentage points, got {self.margin_points:g}; "
                                   "e.g. 5 (a drop of less than 5 points counts as kept)")
        if not self.levels:
            raise RobustPruneError("a frontier needs at least one level to probe first, e.g. 0.3,0.5,0.7,0.875")
        if list(self.levels) != sorted(set(self.levels)) or not all(0 < level < 0.99 for level in self.levels):
            raise RobustPruneError(f"--levels must be increasing sparsities in (0, 0.99), got "
                                   f"{','.join(f'{level:g}' for level in self.levels)}; e.g. 0.3,0.5,0.7,0.875")
        gaps = [high - low for low, high in zip((0.0, *self.levels), self.levels)]
        smallest = min(gaps)
        if not 0 < self.resolution < smallest - 1e-9:
            raise RobustPruneError(f"--resolution must be above 0 and below the smallest gap between the levels "
                                   f"({smallest:g}), got {self.resolution:g}; e.g. 0.025")
        structured = [variant.label for variant in self.variants if variant.structured]
        if structured:
            raise RobustPruneError(f"{', '.join(structured)} prune{'s' if len(structured) == 1 else ''} structures "
                                   "to a FLOPs budget, not to a sparsity; the frontier searches sparsity: use an "
                                   "unstructured method (krp, sparsegpt, wanda, magnitude), or `robustprune sweep "
                                   f"--methods {structured[0]} --flops-reductions ...` for a structured one")
        for recipe in self.sweep.recipes:
            offline_problem = recipe_offline_problem(recipe, self.sweep.attack.get("mlm_path"))
            if offline_problem:
                raise RobustPruneError(offline_problem)
        self.probe_spec(self.levels).validate(data)

    # -- as a request
    def run(self, store=None, data=None, device="auto", progress=silent, concurrency=None):
        """Search every method × recipe's frontier, its probes planned as sweeps (here, or on Ray at ``ray``), and
        store the answer as this request's run. In a job (``progress`` a ``jobs.JobProgress``) each round's cells
        go to the job's ``sweep_cells`` rows as they change, as a sweep job's do."""
        from robustprune.frontier.run import run_frontier
        from robustprune.sweep import open_executor
        from robustprune.sweep.events import JobEvents

        with open_executor(self.ray, self.sweep.device) as executor:
            return run_frontier(self, data=data, store=store, executor=executor,
                                events=lambda: JobEvents.of(progress))  # a fresh one per round; None outside a job

    def describe(self) -> str:
        return (f"Frontier of {', '.join(self.sweep.methods)} under {', '.join(self.sweep.recipes)}, "
                f"{self.sweep.model} on {self.sweep.dataset}")

    def run_id(self, data=None) -> str:
        """The id of the stored answer: a hash of the question (where its probes ran does not change it)."""
        from robustprune.store import run_id_for

        return run_id_for(KIND, self.key())

    def key(self) -> dict:
        return {"sweep": self.sweep.to_dict(), "margin_points": self.margin_points, "resolution": self.resolution,
                "levels": list(self.levels), "preset": self.preset}

    # -- as data
    def to_dict(self) -> dict:
        return {**self.key(), "ray": self.ray}

    @classmethod
    def from_dict(cls, data: dict) -> "FrontierRequest":
        return cls(sweep=SweepSpec.from_dict(data["sweep"]), margin_points=data["margin_points"],
                   resolution=data["resolution"], levels=tuple(data["levels"]), preset=data.get("preset"),
                   ray=data.get("ray"))


def recipe_offline_problem(recipe: str, mlm_path: str | None) -> str | None:
    """Why ``recipe`` cannot run here, in one line, or None. Only BERT-Attack needs a part with no offline
    substitute: a masked LM (``attack.resources.load_masked_lm``), which is checked without loading it."""
    from robustprune.attack.recipes import recipe_name

    if recipe_name(recipe) != "bert-attack" or mlm_path:
        return None
    from robustprune.attack import masked_lm
    from robustprune.attack.masked_lm import HUB_MLM

    try:
        from huggingface_hub import try_to_load_from_cache

        if isinstance(try_to_load_from_cache(HUB_MLM, "config.json"), str):
            return None
    except ImportError:  # pragma: no cover - transformers brings huggingface_hub
        pass
    if masked_lm.accepted_head() is not None:
        return None
    from robustprune.hub import hub_reachable

    if hub_reachable():
        return None
    return (f"bert-attack needs a masked language model: {HUB_MLM} is not in the local Hugging Face cache and the "
            "hub cannot be reached; pass --mlm DIR (a local masked-LM checkpoint), or use --recipe textbugger or "
            "textfooler, which run offline")


__all__ = ["FrontierRequest", "PAPER_LEVELS", "KIND", "recipe_offline_problem"]
