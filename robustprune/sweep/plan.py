"""A sweep as a graph of ordinary cached runs: dense start → pruning runs → attack runs.

Every cell is identified by the id of the run it makes, computed from the same cache keys
the single requests use (``pipeline``, ``soup``, ``structured.runs``, ``attack.runs``),
without computing anything: the plan knows what is cached before any work starts, a
stopped sweep resumes where it stopped, and a cell's run is the very run a single
``finetune`` / ``soup`` / ``prune`` / ``attack`` request makes.

An attack is planned as shards of examples (``attack-shard`` cells, cached as they finish)
and a final ``attack`` cell that merges them; an executor may run the shards anywhere. A
pruning run with adversarial calibration (``krp+adv=N``) needs attacks on the dense model's
training texts first: they are cells of their own, made once for all the runs that share them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from robustprune.attack.runs import SHARD_KIND, attack_key, shard_key, shard_ranges, texts_attack_key
from robustprune.data import TaskData
from robustprune.labels import method_label
from robustprune.pipeline import dense_key, prune_key, with_max_length
from robustprune.store import DENSE_KINDS, RunStore, run_id_for
from robustprune.sweep.spec import MethodVariant, SweepSpec



@dataclass(frozen=True)
class Cell:
    """One run to make: its id, kind, a label for people, the runs it needs first, how to compute it."""

    run_id: str
    kind: str  # finetune | soup | prune | structured | attack-shard | attack
    label: str
    needs: tuple[str, ...]
    params: dict = field(hash=False, compare=False)


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
        finished_attacks = {cell.run_id for cell in self.cells if cell.kind == "attack" and cell.run_id in present}
        return present | {cell.run_id for cell in self.cells
                          if cell.kind == SHARD_KIND and cell.params["attack_run_id"] in finished_attacks}

    def missing(self, store: RunStore) -> list[Cell]:
        done = self.cached(store)
        return [cell for cell in self.cells if cell.run_id not in done]


def _percent(value: float) -> str:
    return f"{value:.1%}".replace(".0%", "%")


class _Builder:
    def __init__(self, spec: SweepSpec, data: TaskData, shard_size: int | None) -> None:
        self.spec, self.data, self.shard_size = spec, data, shard_size
        self.cells: dict[str, Cell] = {}
        self.rows: list[GridRow] = []

    def add(self, cell: Cell) -> str:
        self.cells.setdefault(cell.run_id, cell)
        return cell.run_id

    # -- dense starts
    def dense(self, start: str, seed: int) -> tuple[str, int]:
        """(run id, evaluation max length) of the dense start, its cells added (a soup: candidates first)."""
        spec, data = self.spec, self.data
        finetune = with_max_length(spec.finetune_config(seed), data)
        if start == "finetune":
            run_id = run_id_for("finetune", dense_key(spec.model, data, finetune))
            return self.add(Cell(run_id, "finetune", f"fine-tune (seed {seed})", (),
                                 {"model": spec.model, "finetune": spec.finetune_config(seed).to_dict()})), \
                finetune.max_length
        from robustprune.soup import candidate_runs, soup_key

        soup = spec.soup_config(seed)
        train_data, candidates = candidate_runs(data, soup)
        needs = []
        for index, candidate in enumerate(candidates):
            candidate_id = run_id_for("finetune", dense_key(spec.model, train_data, candidate))
            needs.append(self.add(Cell(candidate_id, "finetune", f"soup candidate {index + 1} (seed {seed})", (),
                                       {"model": spec.model, "soup": soup.to_dict(), "candidate": index})))
        max_length = soup.base.max_length or data.max_length
        run_id = run_id_for("soup", soup_key(spec.model, data, soup, max_length))
        return self.add(Cell(run_id, "soup", f"soup (seed {seed})", tuple(needs),
                             {"model": spec.model, "soup": soup.to_dict()})), max_length

    # -- pruning
    def pruned(self, start: str, dense_seed: int, calibration_seed: int, dense_id: str, max_length: int,
               variant: MethodVariant, budget: float, pattern: str | None = None) -> str:
        spec = self.spec
        common = {"model": spec.model, "dense": start, "finetune": spec.finetune_config(dense_seed).to_dict(),
                  "soup": spec.soup_config(dense_seed).to_dict() if start == "soup" else None}
        seed_note = f" (seed {dense_seed or calibration_seed})" if spec.seeds > 1 else ""
        if variant.structured:
            from robustprune.structured import KPruneConfig
            from robustprune.structured.runs import structured_key

            overrides = {"sample_tokens": spec.sample_tokens} if spec.sample_tokens else {}
            config = KPruneConfig(flops_reduction=budget, seed=calibration_seed, **overrides)
            if variant.method == "structured-magnitude":
                config = KPruneConfig(flops_reduction=budget)
            run_id = run_id_for("structured", structured_key(dense_id, variant.method, config, max_length))
            return self.add(Cell(run_id, "structured", f"{variant.label} −{_percent(budget)} FLOPs{seed_note}",
                                 (dense_id,), {**common, "method": variant.method, "config": config.to_dict()}))
        from robustprune.prune import PruneConfig

        config = PruneConfig(variant.method, budget, pattern=pattern, calibration=spec.calibration,
                             heldout=spec.heldout, seed=calibration_seed, refit_head=variant.refit_head,
                             calibration_adversarial=variant.calibration_adversarial)
        run_id = run_id_for("prune", prune_key(dense_id, config, max_length))
        budget_label = pattern or _percent(budget)
        needs = (dense_id, *self.calibration_attacked(dense_id, config, max_length))
        return self.add(Cell(run_id, "prune", f"{variant.label} {budget_label}{seed_note}", needs,
                             {**common, "prune": config.to_dict()}))

    def calibration_attacked(self, dense_id: str, config, max_length: int) -> list[str]:
        """The attacks on training texts that adversarial calibration takes its texts from (none without it)."""
        if not config.calibration_adversarial:
            return []
        from robustprune.adversarial_calibration import calibration_attacks
        from robustprune.pipeline import calibration_indices

        ids = []
        for planned in calibration_attacks(self.data, config, set(calibration_indices(self.data, config)), max_length):
            texts = planned.texts
            attack_id = run_id_for("attack", texts_attack_key(dense_id, planned.config, texts))
            ids.append(self.add(Cell(
                attack_id, "attack", f"{planned.recipe} on {self.cells[dense_id].label}, {len(texts.texts)} training "
                f"texts (adversarial calibration, seed {config.seed})", (dense_id,),
                {"target": dense_id, "attack": asdict(planned.config), "shards": [[0, len(texts.texts)]],
                 "texts": texts.to_dict()})))
        return ids

    # -- attacks
    def attacked(self, target_id: str, target_label: str, dense_id: str, recipe: str) -> str:
        spec, data = self.spec, self.data
        config = spec.attack_config(recipe)
        key = attack_key(target_id, config, data)
        attack_id = run_id_for("attack", key)
        common = {"target": target_id, "attack": asdict(config)}
        count = min(config.num_examples, len(data.test))
        ranges = shard_ranges(count, self.shard_size)
        shards = []
        if len(ranges) > 1:
            for start, stop in ranges:
                shards.append(self.add(Cell(
                    run_id_for(SHARD_KIND, shard_key(key, start, stop)), SHARD_KIND,
                    f"{recipe} on {target_label}, examples {start}–{stop - 1}", (target_id,),
                    {**common, "start": start, "stop": stop, "attack_run_id": attack_id})))
        self.add(Cell(attack_id, "attack", f"{recipe} on {target_label}", (target_id, *shards),
                      {**common, "shards": [list(r) for r in ranges]}))
        return attack_id

    def build(self) -> SweepPlan:
        spec = self.spec
        for start in spec.dense_starts:
            for dense_seed in spec.dense_seeds():
                dense_id, max_length = self.dense(start, dense_seed)
                dense_label = f"{start} (seed {dense_seed})" if spec.seeds > 1 else start
                for recipe in spec.recipes:
                    attack_id = self.attacked(dense_id, dense_label, dense_id, recipe)
                    self.rows.append(GridRow(start, dense_seed, "dense", 0.0, recipe, dense_id, dense_id, attack_id))
                for calibration_seed in spec.calibration_seeds():
                    seed = dense_seed if spec.seed_axis == "finetune" else calibration_seed
                    for variant in spec.variants:
                        for budget, pattern in spec.budgets(variant):
                            pruned_id = self.pruned(start, dense_seed, calibration_seed, dense_id, max_length,
                                                    variant, budget, pattern)
                            label = self.cells[pruned_id].label
                            for recipe in spec.recipes:
                                attack_id = self.attacked(pruned_id, label, dense_id, recipe)
                                self.rows.append(GridRow(start, seed, method_label(variant.label, pattern), budget,
                                                         recipe, dense_id, pruned_id, attack_id, variant.structured))
        return SweepPlan(spec, list(self.cells.values()), self.rows)


def plan_sweep(spec: SweepSpec, data: TaskData, shard_size: int | None = None) -> SweepPlan:
    """The cells and table rows of ``spec`` on ``data`` (validated first); attacks in shards of ``shard_size``."""
    spec.validate(data)
    return _Builder(spec, data, shard_size).build()


__all__ = ["Cell", "GridRow", "SweepPlan", "plan_sweep", "DENSE_KINDS"]
