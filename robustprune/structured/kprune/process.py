"""The iterative pruning process: for each sub-layer bottom-up, measure the knowledge of every
undecided unit (``knowledge``), search the mask under the FLOPs budget (Eq. 5), remove the
pruned units and tune the kept ones (``tuning``, Eq. 6)."""

from __future__ import annotations

import copy
import time

import torch
from torch import nn

from robustprune.errors import RobustPruneError
from robustprune.models import adapter
from robustprune.progress import Progress, silent
from robustprune.prune.engine import run_block
from robustprune.structured.flops import FlopsModel, budget_threshold, flops_model, model_cost, model_flops
from robustprune.structured.kprune.config import SUBLAYER_KINDS, KPruneConfig, Sublayer, all_sublayers
from robustprune.structured.kprune.knowledge import knowledge_scores
from robustprune.structured.kprune.sample import Sample, prepare_sample
from robustprune.structured.kprune.tuning import tuning_statistics
from robustprune.structured.results import StructuredResult, SublayerRecord, structured_result
from robustprune.structured.surgery import record_shapes, remove_heads, remove_neurons, require_structured_support


def search_mask(target: Sublayer, scores: dict[Sublayer, torch.Tensor], flops: FlopsModel,
                remaining_flops: float) -> torch.Tensor:
    """Which units of ``target`` to keep: those scoring above τ* of Eq. (5) over all pooled units."""
    pooled = torch.cat([score for score in scores.values()])
    unit_flops = torch.cat([torch.full_like(score, float(flops.unit(sublayer.kind)))
                            for sublayer, score in scores.items()])
    threshold = budget_threshold(pooled, unit_flops, remaining_flops)
    return scores[target] > threshold


def remove_units(model: nn.Module, target: Sublayer, keep: torch.Tensor) -> None:
    if target.kind == "mha":
        remove_heads(model, target.layer, keep)
    else:
        remove_neurons(model, target.layer, keep)


class KPrune:
    """One run: the model, its sample, the FLOPs still available, and one step per sub-layer."""

    def __init__(self, model: nn.Module, sample: Sample, config: KPruneConfig, flops: FlopsModel) -> None:
        self.model, self.sample, self.config, self.flops = model, sample, config, flops
        self.remaining_flops = (1.0 - config.flops_reduction) * model_flops(model, flops.seq_len)
        self.pruned_any = False  # while False the model is still the uncompressed one

    def undecided(self, target: Sublayer) -> list[Sublayer]:
        return [sublayer for sublayer in all_sublayers(len(adapter.blocks(self.model)))
                if sublayer.order >= target.order]

    def prune_sublayer(self, target: Sublayer, dense_block: nn.Module) -> SublayerRecord:
        """Measure (1)-(4), search (5), remove, tune (6) one sub-layer."""
        scores = knowledge_scores(self.model, self.sample, self.undecided(target), self.config, self.flops)
        keep = search_mask(target, scores, self.flops, self.remaining_flops)
        self.remaining_flops -= int(keep.sum()) * self.flops.unit(target.kind)
        remove_units(self.model, target, keep)
        self.pruned_any = self.pruned_any or not bool(keep.all())
        errors = self.tune(target, dense_block)
        return SublayerRecord(target.layer, target.kind, len(keep), int(keep.sum()), *errors)

    def tune(self, target: Sublayer, dense_block: nn.Module) -> tuple[float, float]:
        """Eq. (6) on the target's output projection; returns its (untuned, tuned) relative errors."""
        tuner = tuning_statistics(self.model, dense_block, self.sample.streams, target)
        projection = adapter.output_projection(self.model, target.layer, target.kind)
        untuned = tuner.relative_error(projection.weight)
        if not (self.config.tune_weights and self.pruned_any and projection.in_features > 0):
            return untuned, untuned
        projection.weight.copy_(tuner.solve(projection.weight))
        return untuned, tuner.relative_error(projection.weight)

    def advance_streams(self, layer: int, dense_block: nn.Module) -> None:
        """Move both activation streams past block ``layer``, now that it is final."""
        block = adapter.blocks(self.model)[layer]
        for stream in self.sample.streams:
            stream.sparse_hidden = run_block(block, stream.sparse_hidden, stream)
            stream.dense_hidden = run_block(dense_block, stream.dense_hidden, stream)


@torch.no_grad()
def kprune(model: nn.Module, tokenizer, texts: list[str], config: KPruneConfig, max_length: int,
           progress: Progress = silent) -> StructuredResult:
    """Prune ``model`` in place with K-prune to remove ``config.flops_reduction`` of its FLOPs.

    ``texts`` are training texts (labels are not needed: the model's own soft labels are
    the target); FLOPs are counted for sequences of ``max_length`` tokens. The pruned
    heads and neurons are removed physically; reload a saved result with ``load_structured``.
    """
    require_structured_support(model)
    if not texts:
        raise RobustPruneError("K-prune needs sample texts; none were given")
    started = time.perf_counter()
    model.eval()
    flops = flops_model(model, max_length)
    before = model_cost(model, max_length)
    sample = prepare_sample(model, tokenizer, texts, config, max_length)
    run = KPrune(model, sample, config, flops)
    records: list[SublayerRecord] = []
    num_layers = len(adapter.blocks(model))
    for layer in range(num_layers):
        dense_block = copy.deepcopy(adapter.blocks(model)[layer])
        for kind in SUBLAYER_KINDS:
            records.append(run.prune_sublayer(Sublayer(layer, kind), dense_block))
            progress("kprune", len(records), 2 * num_layers)
        run.advance_streams(layer, dense_block)
    record_shapes(model)
    return structured_result("kprune", config.flops_reduction, before, model_cost(model, max_length),
                             time.perf_counter() - started, sample_texts=len(sample.texts),
                             sample_tokens=sample.tokens, config=config.to_dict(), sublayers=records)
