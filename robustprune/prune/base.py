"""What every unstructured pruning method shares: its settings and its small interface.

A method is one module with one ``LayerPruner`` subclass (like a TextAttack recipe): it
streams a Linear layer's calibration inputs through ``add_batch`` and returns the pruned
weight from ``prune``. The driver (``engine.py``) walks the model and feeds it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from typing import ClassVar

import torch

from robustprune.errors import RobustPruneError

MAX_SPARSITY = 0.99


@dataclass(frozen=True)
class NMPattern:
    """N:M semi-structured sparsity: in every M consecutive input weights, N are zero."""

    n: int
    m: int

    @classmethod
    def parse(cls, text: str) -> "NMPattern":
        try:
            n, m = (int(part) for part in text.split(":"))
        except ValueError:
            raise RobustPruneError(f"pattern {text!r} is not N:M (e.g. 2:4)") from None
        if not 0 < n < m:
            raise RobustPruneError(f"pattern {text!r} needs 0 < N < M (e.g. 2:4)")
        return cls(n, m)

    def __str__(self) -> str:
        return f"{self.n}:{self.m}"


@dataclass(frozen=True)
class PruneConfig:
    """Everything that determines a pruning run's result (it is part of the cache key)."""

    method: str
    sparsity: float
    pattern: str | None = None  # "N:M" for semi-structured sparsity, else unstructured
    calibration: int = 128  # training texts whose activations build the Hessians
    heldout: int = 32  # further training texts on which reconstruction errors are measured
    seed: int = 0
    blocksize: int = 128  # OBS columns per lazy-update block (SparseGPT's B)
    damping: float = 0.01  # λ as a fraction of the mean Hessian diagonal
    batch_size: int = 16
    refit_head: bool = False  # krp paper: re-fit pooler + classifier to the dense outputs (they stay dense)
    # robustness-aware calibration: adversarial texts found on the dense model (training split) added to the
    # calibration texts, split between these recipes (robustprune.adversarial_calibration)
    calibration_adversarial: int = 0
    adversarial_recipes: tuple[str, ...] = ("textfooler", "textbugger")

    def __post_init__(self) -> None:
        if not isinstance(self.sparsity, (int, float)) or not 0.0 <= self.sparsity < MAX_SPARSITY:
            raise RobustPruneError(f"sparsity {self.sparsity!r} is out of range; use a fraction in [0, {MAX_SPARSITY})")
        if self.calibration < 1:
            raise RobustPruneError(f"calibration size {self.calibration} must be at least 1 text")
        if self.heldout < 1:
            raise RobustPruneError(f"held-out size {self.heldout} must be at least 1 text")
        if self.pattern is not None:
            nm = NMPattern.parse(self.pattern)
            # N:M fixes the sparsity: one cache key for the run, whatever sparsity was asked for beside it
            object.__setattr__(self, "sparsity", nm.n / nm.m)
        if self.damping <= 0:
            raise RobustPruneError(f"damping {self.damping} must be > 0")
        if self.calibration_adversarial < 0:
            raise RobustPruneError(f"the number of adversarial calibration texts (calibration_adversarial; CLI "
                                   f"--calibration-adversarial) must be 0 or more, got {self.calibration_adversarial}")
        recipes = self.adversarial_recipes
        object.__setattr__(self, "adversarial_recipes", (recipes,) if isinstance(recipes, str) else tuple(recipes))
        if self.calibration_adversarial and not self.adversarial_recipes:
            raise RobustPruneError("adversarial calibration needs at least one recipe, e.g. textfooler")

    @property
    def nm(self) -> NMPattern | None:
        return NMPattern.parse(self.pattern) if self.pattern else None

    @property
    def target_sparsity(self) -> float:
        nm = self.nm
        return nm.n / nm.m if nm else float(self.sparsity)

    def to_dict(self) -> dict:
        """The fields, as JSON values. Without adversarial calibration its fields are left out, so that runs
        made before they existed keep their cache keys."""
        fields = asdict(self)
        fields["adversarial_recipes"] = list(self.adversarial_recipes)
        if not self.calibration_adversarial:
            fields.pop("calibration_adversarial")
            fields.pop("adversarial_recipes")
        return fields


def pruned_count(numel: int, sparsity: float) -> int:
    """How many weights of a layer are zeroed: the target, exact to rounding."""
    return int(round(numel * sparsity))


class LayerPruner(ABC):
    """Prunes one Linear layer from a stream of its calibration inputs.

    ``sparse_inputs`` are the layer's inputs in the model pruned so far, ``dense_inputs``
    the same tokens' inputs in the dense model (rows = tokens). Methods that do not use
    the dense inputs say so with ``uses_dense_inputs = False`` and get ``None``.
    """

    name: ClassVar[str]
    summary: ClassVar[str]
    citation: ClassVar[str]
    uses_inputs: ClassVar[bool] = True
    uses_dense_inputs: ClassVar[bool] = False

    def __init__(self, weight: torch.Tensor, config: PruneConfig) -> None:
        self.weight = weight.detach().clone().float()
        self.config = config

    def add_batch(self, sparse_inputs: torch.Tensor, dense_inputs: torch.Tensor | None) -> None:
        """Accumulate statistics of one batch of calibration tokens (default: none needed)."""

    @abstractmethod
    def prune(self) -> torch.Tensor:
        """The pruned weight, same shape as the dense one."""
