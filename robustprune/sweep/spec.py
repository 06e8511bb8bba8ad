"""What a sweep asks for: one model and dataset, a grid of dense starts × pruning × attacks.

A sweep fills the trade-off grid of the robust-pruning paper's tables in one request:

    dense starts (fine-tune or soup) × seeds
      → pruning runs: methods × sparsities (FLOPs reductions for structured methods)
        → attack runs: recipes on the first ``num_examples`` test texts

Every cell is an ordinary cached run (``plan.py``), the same run a single ``finetune``,
``prune`` or ``attack`` request makes. ``SweepSpec.validate`` refuses a grid that cannot
work before any of it is computed, with one line that says what would.

A method may carry variants: ``krp+refit`` re-fits the pooler and classifier to the dense
outputs (``PruneConfig.refit_head``), as the robust-pruning paper does.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace

from robustprune.errors import RobustPruneError
from robustprune.labels import variant_label

DENSE_STARTS = ("finetune", "soup")
SEED_AXES = ("finetune", "calibration")  # what a seed varies: the dense start's fine-tune seed, or the calibration sample
VARIANT_FLAGS = {"refit": "re-fit the pooler and classifier (krp paper)",
                 "adv=N": "add N adversarial texts of the dense model to the calibration texts"}


@dataclass(frozen=True)
class MethodVariant:
    """A pruning method and its options, written ``method[+flag...]`` (e.g. ``krp+refit``, ``krp+adv=128``)."""

    method: str
    refit_head: bool = False
    calibration_adversarial: int = 0

    @classmethod
    def parse(cls, text: str) -> "MethodVariant":
        from robustprune.prune import METHODS
        from robustprune.structured import METHODS as STRUCTURED_METHODS

        name, *flags = [part.strip() for part in text.strip().split("+")]
        known = [*METHODS, *STRUCTURED_METHODS]
        options = ", ".join("+" + flag for flag in VARIANT_FLAGS)
        if name not in known:
            raise RobustPruneError(f"unknown method {name!r} in {text!r}; use one of {', '.join(known)}, "
                                   f"optionally with {options}")
        adversarial = 0
        for flag in flags:
            key, _, value = flag.partition("=")
            if flag == "refit":
                continue
            if key == "adv" and value.isdigit() and int(value) > 0:
                adversarial = int(value)
                continue
            raise RobustPruneError(f"unknown option +{flag} in {text!r}; use {options} (N a positive count)")
        if flags and name in STRUCTURED_METHODS:
            raise RobustPruneError(f"{text!r}: options like +refit apply to unstructured methods only")
        return cls(name, refit_head="refit" in flags, calibration_adversarial=adversarial)

    @property
    def structured(self) -> bool:
        from robustprune.structured import METHODS as STRUCTURED_METHODS

        return self.method in STRUCTURED_METHODS

    @property
    def label(self) -> str:
        return variant_label(self.method, self.refit_head, self.calibration_adversarial)


@dataclass(frozen=True)
class SweepSpec:
    """A grid of runs on one model and dataset (see the module docstring)."""

    model: str = "minilm"
    dataset: str = "rotten_tomatoes"
    text_column: str = "text"
    label_column: str = "label"
    dense_starts: tuple[str, ...] = ("finetune",)
    methods: tuple[str, ...] = ("krp", "sparsegpt", "magnitude")
    sparsities: tuple[float | str, ...] = (0.5, 0.875)  # unstructured methods: fractions, or N:M patterns ("2:4")
    flops_reductions: tuple[float, ...] = (0.5,)  # structured methods
    recipes: tuple[str, ...] = ("textfooler", "textbugger")
    num_examples: int = 100
    calibration: int = 128
    heldout: int = 32
    seeds: int = 1  # K dense starts (fine-tune seeds 0..K-1) or K calibration samples, see seed_axis
    seed_axis: str = "finetune"
    finetune: dict = field(default_factory=dict)  # FinetuneConfig fields (epochs, learning_rate, ...)
    soup: dict = field(default_factory=dict)  # SoupConfig fields (candidates, criterion, ...)
    attack: dict = field(default_factory=dict)  # AttackConfig fields beyond recipe and num_examples
    sample_tokens: int | None = None  # K-prune's knowledge sample
    device: str = "auto"

    def __post_init__(self) -> None:
        for name in ("dense_starts", "methods", "sparsities", "flops_reductions", "recipes"):
            value = getattr(self, name)
            object.__setattr__(self, name, tuple(value) if not isinstance(value, str) else (value,))

    # -- the grid's axes
    @property
    def variants(self) -> list[MethodVariant]:
        return [MethodVariant.parse(text) for text in self.methods]

    def budgets(self, variant: MethodVariant) -> list[tuple[float, str | None]]:
        """The x values of a method, as (sparsity, N:M pattern or None): FLOPs reductions for structured methods,
        sparsities for the others, an N:M pattern standing for its sparsity N/M."""
        if variant.structured:
            return [(float(budget), None) for budget in self.flops_reductions]
        from robustprune.prune.base import NMPattern

        budgets = []
        for budget in self.sparsities:
            if isinstance(budget, str) and ":" in budget:
                nm = NMPattern.parse(budget)
                budgets.append((nm.n / nm.m, str(nm)))
            else:
                budgets.append((float(budget), None))
        return budgets

    def finetune_config(self, seed: int = 0):
        from robustprune.finetune import FinetuneConfig

        base = FinetuneConfig(**self.finetune)
        return replace(base, seed=base.seed + seed) if self.seed_axis == "finetune" else base

    def soup_config(self, seed: int = 0):
        from robustprune.soup import SoupConfig

        return SoupConfig.from_dict({**self.soup, "base": self.finetune_config(seed)})

    def dense_seeds(self) -> range:
        return range(self.seeds if self.seed_axis == "finetune" else 1)

    def calibration_seeds(self) -> range:
        return range(self.seeds if self.seed_axis == "calibration" else 1)

    def attack_config(self, recipe: str):
        from robustprune.attack import AttackConfig

        return AttackConfig(recipe=recipe, num_examples=self.num_examples, **self.attack)

    # -- checks, before any work
    def validate(self, data) -> None:
        """Raise a one-line RobustPruneError for a grid that cannot work on ``data`` (a ``TaskData``)."""
        from robustprune.attack.recipes import recipe_name
        from robustprune.prune import PruneConfig
        from robustprune.structured import KPruneConfig

        for start in self.dense_starts:
            if start not in DENSE_STARTS:
                raise RobustPruneError(f"unknown dense start {start!r}; use one of {', '.join(DENSE_STARTS)}")
        if self.seed_axis not in SEED_AXES:
            raise RobustPruneError(f"unknown seed axis {self.seed_axis!r}; use one of {', '.join(SEED_AXES)}")
        if not 1 <= self.seeds <= 20:
            raise RobustPruneError(f"seeds must be between 1 and 20, got {self.seeds}")
        if not self.dense_starts:
            raise RobustPruneError("a sweep needs at least one dense start: finetune or soup (CLI --dense)")
        if not self.methods:
            raise RobustPruneError("a sweep needs at least one method, e.g. krp (CLI --methods)")
        for structured, budget in ((False, "sparsity (CLI --sparsities)"), (True, "FLOPs reduction (CLI "
                                                                                "--flops-reductions)")):
            unbudgeted = [variant.label for variant in self.variants
                          if variant.structured == structured and not self.budgets(variant)]
            if unbudgeted:
                raise RobustPruneError(f"{', '.join(unbudgeted)} need{'s' if len(unbudgeted) == 1 else ''} at least "
                                       f"one {budget}, or leave {'it' if len(unbudgeted) == 1 else 'them'} out")
        for variant in self.variants:
            for budget, pattern in self.budgets(variant):
                if variant.structured:
                    KPruneConfig(flops_reduction=budget)
                else:
                    PruneConfig(variant.method, budget, pattern=pattern, calibration=self.calibration,
                                heldout=self.heldout)
        if not self.recipes:
            raise RobustPruneError("a sweep needs at least one attack recipe, e.g. textfooler (CLI --recipes)")
        for recipe in self.recipes:
            recipe_name(recipe)
            self.attack_config(recipe).validate(len(data.test))
        if self.num_examples > len(data.test):
            raise RobustPruneError(f"{self.num_examples} examples per attack asked for, but {data.name} has "
                                   f"{len(data.test)} test texts; ask for at most {len(data.test)}")
        if any(not variant.structured for variant in self.variants):
            needed = self.calibration + self.heldout
            if needed > len(data.train):
                raise RobustPruneError(f"calibration {self.calibration} + held-out {self.heldout} texts exceed the "
                                       f"{len(data.train)} training texts of {data.name}; ask for fewer")
        self.finetune_config()
        if "soup" in self.dense_starts:
            self.soup_config()

    # -- as data
    def to_dict(self) -> dict:
        return json.loads(json.dumps(asdict(self)))

    @classmethod
    def from_dict(cls, data: dict) -> "SweepSpec":
        return cls(**data)


# The Overview's first offer after a first fine-tune: a small grid that draws the first trade-off curves, krp against
# magnitude at three of the paper's levels under one attack, on few sentences (minutes, not hours, on a CPU)
STARTER_GRID = {"methods": ("krp", "magnitude"), "sparsities": (0.5, 0.7, 0.875), "recipes": ("textbugger",),
                "num_examples": 50}


def starter_spec(model: str, dataset: str, text_column: str = "text", label_column: str = "label",
                 test_texts: int | None = None) -> SweepSpec:
    """``STARTER_GRID`` on a model and dataset; on a test split of fewer than its 50 texts (``test_texts``), all
    of them."""
    examples = STARTER_GRID["num_examples"] if test_texts is None else min(STARTER_GRID["num_examples"], test_texts)
    return SweepSpec(model=model, dataset=dataset, text_column=text_column, label_column=label_column,
                     **{**STARTER_GRID, "num_examples": examples})


__all__ = ["SweepSpec", "MethodVariant", "DENSE_STARTS", "SEED_AXES", "STARTER_GRID", "starter_spec"]
