"""A sweep as a graph of ordinary cached runs: dense start → pruning runs → attack runs.

Every cell is a request (``robustprune.requests``), identified by the id of the run it
makes, which the request computes without computing anything: the plan knows what is
cached before any work starts, a stopped sweep resumes where it stopped, and a cell's run
is the very run a single
``finetune`` / ``soup`` / ``prune`` / ``attack`` request makes.

An attack is planned as shards of examples (``attack-shard`` cells, cached as they finish)
and a final ``attack`` cell that merges them; an executor may run the shards anywhere. A
pruning run with adversarial calibration (``krp+adv=N``) needs attacks on the dense model's
training texts first: they are cells of their own, made once for all the runs that share them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from robustprune.attack.runs import SHARD_KIND, shard_ranges
from robustprune.data import TaskData
from robustprune.labels import method_label
from robustprune.requests.attack import AttackRequest, AttackShardRequest
from robustprune.requests.base import DataRef, RunRequest
from robustprune.requests.dense import FinetuneRequest, SoupRequest
from robustprune.requests.prune import PruneRequest, StructuredRequest
from robustprune.store import DENSE_KINDS, RunStore
from robustprune.sweep.spec import MethodVariant, SweepSpec


@dataclass(frozen=True)
class Cell:
    """One run to make: its id, its store kind, a label for people, the runs it needs first, and its request
    (which computes it, here or in a Ray task)."""

    run_id: str
    kind: str  # finetune | soup | prune | structured | attack-shard | attack
    label: str
    needs: tuple[str, ...]
    request: RunRequest = field(hash=False, compare=False)


@dataclass(frozen=True)
class GridRow:
    """One row of the sweep's table: a dense start (method "dense") or a pruned model, under one recipe."""

    dense_start: str
    seed: int
    method: str  # "dense" or a method variant's label (krp, krp+refit, kprune, ...)
    budget: float  # sparsity, or the FLOPs reduction of a structured method; 0 for dense
    recipe: str
    dense_run_id: str
    model_run_id: str  # the attacked run: the dense start itself, or the pruning run
    attack_run_id: str
    structured: bool = False


@dataclass
class SweepPlan:
    spec: SweepSpec
    cells: list[Cell]  # in an order where every cell comes after the cells it needs
    rows: list[GridRow]

    def cell(self, run_id: str) -> Cell:
        return self._by_id[run_id]

    def __post_init__(self) -> None:
        self._by_id = {cell.run_id: cell for cell in self.cells}

    def cached(self, store: RunStore) -> set[str]:
        """Ids of the cells whose runs are in ``store`` (an attack counts its shards as done)."""
        present = store.intact(cell.run_id for cell in self.cells)
        return present | {need for cell in self.cells if cell.kind == "attack" and cell.run_id in present
                          for need in cell.needs if self._by_id[need].kind == SHARD_KIND}

    def missing(self, store: RunStore) -> list[Cell]:
        done = self.cached(store)
        return [cell for cell in self.cells if cell.run_id not in done]


def _percent(value: float) -> str:
    return f"{value:.1%}".replace(".0%", "%")


class _Builder:
    def __init__(self, spec: SweepSpec, data: TaskData, shard_size: int | None) -> None:
        self.spec, self.data, self.shard_size = spec, data, shard_size
        self.data_ref = DataRef(spec.dataset, spec.text_column, spec.label_column)
        self.cells: dict[str, Cell] = {}
        self.rows: list[GridRow] = []

    def add(self, request: RunRequest, label: str, needs: tuple[str, ...] = ()) -> str:
        run_id = request.run_id(self.data)
        self.cells.setdefault(run_id, Cell(run_id, request.store_kind, label, tuple(needs), request))
        return run_id

    # -- dense starts
    def dense(self, start: str, seed: int) -> str:
        """The run id of the dense start, its cells added (a soup: its candidates first)."""
        spec = self.spec
        if start == "finetune":
            return self.add(FinetuneRequest(spec.model, self.data_ref, spec.finetune_config(seed)),
                            f"fine-tune (seed {seed})")
        soup = SoupRequest(spec.model, self.data_ref, spec.soup_config(seed))
        needs = tuple(self.add(candidate, f"soup candidate {index + 1} (seed {seed})")
                      for index, candidate in enumerate(soup.requires(self.data)))
        return self.add(soup, f"soup (seed {seed})", needs)

    # -- pruning
    def pruned(self, start: str, dense_seed: int, calibration_seed: int, dense_id: str,
               variant: MethodVariant, budget: float, pattern: str | None = None) -> str:
        spec = self.spec
        start_fields = {"dense_start": start, "finetune": spec.finetune_config(dense_seed),
                        "soup": spec.soup_config(dense_seed) if start == "soup" else None}
        seed_note = f" (seed {dense_seed or calibration_seed})" if spec.seeds > 1 else ""
        if variant.structured:
            from robustprune.structured import KPruneConfig

            overrides = {"sample_tokens": spec.sample_tokens} if spec.sample_tokens else {}
            config = KPruneConfig(flops_reduction=budget, seed=calibration_seed, **overrides)
            request = StructuredRequest(spec.model, self.data_ref, variant.method, config, **start_fields)
            return self.add(request, f"{variant.label} −{_percent(budget)} FLOPs{seed_note}", (dense_id,))
        from robustprune.prune import PruneConfig

        config = PruneConfig(variant.method, budget, pattern=pattern, calibration=spec.calibration,
                             heldout=spec.heldout, seed=calibration_seed, refit_head=variant.refit_head,
                             calibration_adversarial=variant.calibration_adversarial)
        request = PruneRequest(spec.model, self.data_ref, config, **start_fields)
        needs = (dense_id, *self.calibration_attacked(request, dense_id))
        return self.add(request, f"{variant.label} {pattern or _percent(budget)}{seed_note}", needs)

    def calibration_attacked(self, request: PruneRequest, dense_id: str) -> list[str]:
        """The attacks on training texts that adversarial calibration takes its texts from (none without it)."""
        return [self.add(attack, f"{attack.config.recipe} on {self.cells[dense_id].label}, {len(attack.texts.texts)} "
                         f"training texts (adversarial calibration, seed {request.config.seed})", (dense_id,))
                for attack in request.requires(self.data)[1:]]

    # -- attacks
    def attacked(self, target_id: str, target_label: str, recipe: str) -> str:
        config = self.spec.attack_config(recipe)
        ranges = shard_ranges(min(config.num_examples, len(self.data.test)), self.shard_size)
        request = AttackRequest(target_id, config, data=self.data_ref,
                                shard_size=self.shard_size if len(ranges) > 1 else None)
        shards = tuple(self.add(AttackShardRequest(request, start, stop),
                                f"{recipe} on {target_label}, examples {start}–{stop - 1}", (target_id,))
                       for start, stop in ranges) if len(ranges) > 1 else ()
        return self.add(request, f"{recipe} on {target_label}", (target_id, *shards))

    def build(self) -> SweepPlan:
        spec = self.spec
        for start in spec.dense_starts:
            for dense_seed in spec.dense_seeds():
                dense_id = self.dense(start, dense_seed)
                dense_label = f"{start} (seed {dense_seed})" if spec.seeds > 1 else start
                for recipe in spec.recipes:
                    attack_id = self.attacked(dense_id, dense_label, recipe)
                    self.rows.append(GridRow(start, dense_seed, "dense", 0.0, recipe, dense_id, dense_id, attack_id))
                for calibration_seed in spec.calibration_seeds():
                    seed = dense_seed if spec.seed_axis == "finetune" else calibration_seed
                    for variant in spec.variants:
                        for budget, pattern in spec.budgets(variant):
                            pruned_id = self.pruned(start, dense_seed, calibration_seed, dense_id, variant,
                                                    budget, pattern)
                            label = self.cells[pruned_id].label
                            for recipe in spec.recipes:
                                attack_id = self.attacked(pruned_id, label, recipe)
                                self.rows.append(GridRow(start, seed, method_label(variant.label, pattern), budget,
                                                         recipe, dense_id, pruned_id, attack_id, variant.structured))
        return SweepPlan(spec, list(self.cells.values()), self.rows)


def plan_sweep(spec: SweepSpec, data: TaskData, shard_size: int | None = None) -> SweepPlan:
    """The cells and table rows of ``spec`` on ``data`` (validated first); attacks in shards of ``shard_size``."""
    spec.validate(data)
    return _Builder(spec, data, shard_size).build()


__all__ = ["Cell", "GridRow", "SweepPlan", "plan_sweep", "DENSE_KINDS"]
