"""The robust-pruning paper's table: clean accuracy, accuracy under attack, attack success
rate and queries (with TextAttack's full summary: counts, perturbed words, wall time), per
method × sparsity × recipe, computing only what is not cached."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pandas as pd

from robustprune.attack.run import AttackConfig
from robustprune.attack.runs import DENSE_TARGET, attack
from robustprune.data import TaskData
from robustprune.errors import RobustPruneError
from robustprune.finetune import FinetuneConfig
from robustprune.labels import method_label
from robustprune.pipeline import prune
from robustprune.progress import Progress, silent
from robustprune.prune import METHODS, PruneConfig
from robustprune.store import RunStore
from robustprune.structured import METHODS as STRUCTURED_METHODS
from robustprune.structured import KPruneConfig

COLUMNS = ["method", "sparsity", "recipe", "attacked", "succeeded", "failed", "skipped", "clean_accuracy",
           "accuracy_under_attack", "attack_success_rate", "avg_perturbed_word_percent", "avg_queries", "seconds",
           "prune_run_id", "attack_run_id"]


@dataclass(frozen=True)
class TableSettings:
    """How the table's runs are made, beyond method, sparsity and recipe."""

    model: str = "minilm"
    device: str = "auto"
    calibration: int = 128
    heldout: int = 32
    finetune: FinetuneConfig | None = None


def pruned_run_id(method: str, sparsity: float | str, data: TaskData, settings: TableSettings, store: RunStore,
                  progress: Progress) -> str:
    """The cached (or new) pruning run; ``sparsity`` is a fraction or an N:M pattern ("2:4"); for structured
    methods it is the FLOPs reduction."""
    pattern = sparsity if isinstance(sparsity, str) else None
    if method in METHODS:
        config = PruneConfig(method, 0.0 if pattern else sparsity, pattern=pattern, calibration=settings.calibration,
                             heldout=settings.heldout)
        return prune(config, settings.model, data, settings.device, settings.finetune, store, progress).run_id
    if method in STRUCTURED_METHODS:
        from robustprune.structured.runs import prune_structured

        if pattern:
            raise RobustPruneError(f"{method} removes heads and neurons under a FLOPs budget; N:M patterns such as "
                                   f"{pattern} apply to {', '.join(METHODS)}")
        return prune_structured(method, KPruneConfig(flops_reduction=sparsity), settings.model, data, settings.device,
                                settings.finetune, store, progress).run_id
    raise RobustPruneError(f"unknown method {method!r}; use {', '.join([*METHODS, *STRUCTURED_METHODS])}")


def robustness_table(methods: list[str], sparsities: list[float | str], recipes: list[str],
                     attack_config: Callable[[str], AttackConfig], data: TaskData, settings: TableSettings,
                     store: RunStore | None = None, progress: Progress = silent) -> pd.DataFrame:
    store = store or RunStore()
    for recipe in recipes:  # fail on a bad recipe before hours of work
        attack_config(recipe).validate(len(data.test))
    targets = [("dense", 0.0, DENSE_TARGET)]
    for method in methods:
        for sparsity in sparsities:  # an N:M pattern is a row of its own: "krp 2:4" at its sparsity N/M
            pattern = sparsity if isinstance(sparsity, str) else None
            fraction = PruneConfig(method, 0.0, pattern=pattern).sparsity if pattern else sparsity
            targets.append((method_label(method, pattern), fraction,
                            pruned_run_id(method, sparsity, data, settings, store, progress)))
    rows = []
    for method, sparsity, target in targets:
        for recipe in recipes:
            run = attack(target, attack_config(recipe), settings.model, data, settings.device, store, progress,
                         settings.finetune)
            summary = run.result.summary
            rows.append([method, sparsity, summary.recipe, summary.num_examples, summary.successful_attacks,
                         summary.failed_attacks, summary.skipped_attacks, summary.clean_accuracy,
                         summary.accuracy_under_attack, summary.attack_success_rate,
                         summary.avg_perturbed_word_percent, summary.avg_num_queries, summary.wall_seconds,
                         None if target == DENSE_TARGET else target, run.run_id])
    return pd.DataFrame(rows, columns=COLUMNS)
