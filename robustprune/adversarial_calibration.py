"""Robustness-aware calibration: the dense model's adversarial neighbourhood in the calibration texts.

Knowledge-retention pruning asks each sparse layer to reproduce the dense layer's output
on the calibration texts (krp.py: ‖W X_d − Ŵ X_s‖², X_d the dense model's inputs to the
layer). Clean training sentences are where the dense model is at ease; attacks probe a
neighbourhood of such sentences in which a few words or characters change, and there a
pruned model may drift from the dense one. This adds that neighbourhood to the
calibration set: texts found by attacking the **dense** model on training-split texts
(never the test texts that are attacked later), whose targets are the dense model's own
activations on them, so the sparse model is asked to behave like the dense one exactly
where attacks probe. Nothing else changes: the same objective, more (and harder) rows.

The texts. ``PruneConfig.calibration_adversarial`` = N texts, split evenly over
``adversarial_recipes``. For each recipe, a pool of training texts outside the run's
calibration and held-out sample (seeded by the run's seed) is attacked, twice the
recipe's share: an ordinary cached attack run on those texts. Its successful
adversarial texts come first; if there are fewer than the share, the final perturbation
of failed attacks (the search's best try: an adversarial neighbour that did not flip
the label) fills up. A pool too small for the share gives fewer texts; the run records
how many it got and how many flipped the dense model.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from robustprune.data import TaskData
from robustprune.errors import RobustPruneError
from robustprune.progress import Progress, silent
from robustprune.store import RunStore

POOL_FACTOR = 2  # texts attacked per adversarial text wanted (the dense model is broken about half the time)


@dataclass
class AdversarialCalibration:
    texts: list[str]
    succeeded: int  # of them, how many flipped the dense model (the rest: failed attacks' best tries)
    attack_run_ids: list[str] = field(default_factory=list)


def shares(total: int, recipes: tuple[str, ...]) -> list[int]:
    """``total`` split over ``recipes`` as evenly as can be (the first ones get the remainder)."""
    base, extra = divmod(total, len(recipes))
    return [base + (index < extra) for index in range(len(recipes))]


def pool_indices(data: TaskData, excluded: set[int], size: int, seed: int, recipe_index: int) -> list[int]:
    """``size`` training indices outside ``excluded``, seeded; each recipe gets its own slice."""
    available = [index for index in range(len(data.train)) if index not in excluded]
    random.Random(f"adversarial-calibration:{seed}").shuffle(available)
    start = recipe_index * size
    return available[start:start + size]


@dataclass(frozen=True)
class CalibrationAttack:
    """One of the attacks that find the adversarial calibration texts: a recipe on a pool of training texts."""

    recipe: str
    wanted: int  # adversarial texts taken from it
    config: object  # AttackConfig
    texts: object  # AttackTexts


def calibration_attacks(data: TaskData, config, excluded: set[int], max_length: int) -> list[CalibrationAttack]:
    """The attacks ``config`` (a ``PruneConfig``) needs, on training texts outside ``excluded`` (the run's
    calibration and held-out sample). A sweep plans them as cells of their own, before the pruning run."""
    from robustprune.attack import AttackConfig
    from robustprune.attack.texts import AttackTexts

    attacks = []
    for recipe_index, (recipe, wanted) in enumerate(zip(config.adversarial_recipes,
                                                        shares(config.calibration_adversarial,
                                                               config.adversarial_recipes))):
        if not wanted:
            continue
        pool = pool_indices(data, excluded, POOL_FACTOR * wanted, config.seed, recipe_index)
        if not pool:
            raise RobustPruneError(f"no training texts left for adversarial calibration in {data.name} beside the "
                                   f"{len(excluded)} calibration and held-out texts; ask for fewer")
        chosen = data.train.select(pool)
        texts = AttackTexts(tuple(chosen["text"]), tuple(chosen["label"]), f"{data.name} train (calibration pool)")
        attacks.append(CalibrationAttack(recipe, wanted, AttackConfig(recipe=recipe, num_examples=len(pool),
                                                                      max_length=max_length, similarity=False),
                                         texts))
    return attacks


def adversarial_texts(dense_run_id: str, data: TaskData, config, excluded: set[int], max_length: int,
                      device: str = "auto", store: RunStore | None = None,
                      progress: Progress = silent) -> AdversarialCalibration:
    """The N adversarial calibration texts of ``config`` (a ``PruneConfig``), attacking dense run ``dense_run_id``
    on training texts outside ``excluded`` (the run's calibration and held-out sample)."""
    from robustprune.attack.runs import attack

    store = store or RunStore()
    found = AdversarialCalibration([], 0)
    for planned in calibration_attacks(data, config, excluded, max_length):
        run = attack(dense_run_id, planned.config, store=store, device=device, progress=progress,
                     texts=planned.texts)
        found.attack_run_ids.append(run.run_id)
        succeeded = [e.perturbed_text for e in run.result.examples if e.result == "succeeded"]
        tried = [e.perturbed_text for e in run.result.examples
                 if e.result == "failed" and e.perturbed_text != e.original_text]
        taken = (succeeded + tried)[:planned.wanted]
        found.texts.extend(taken)
        found.succeeded += min(len(succeeded), planned.wanted)
    return found


__all__ = ["AdversarialCalibration", "CalibrationAttack", "adversarial_texts", "calibration_attacks", "shares",
           "pool_indices"]
