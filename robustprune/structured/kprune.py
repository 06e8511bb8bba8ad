"""K-prune: retraining-free structured pruning of attention heads and FFN neurons.

Park, Choi & Kang, "Accurate Retraining-free Pruning for Pretrained Encoder-based
Language Models", ICLR 2024. Follows ``shared/design/kprune.md``.

An encoder of L layers has 2L sub-layers, processed bottom-up: 2i is layer i's MHA
(units: heads), 2i+1 its FFN (units: neurons). A mask m (ones) multiplies the input of
each sub-layer's output projection — the concatenated head outputs (d_h dimensions per
head) or the neuron activations. For each target sub-layer, on the model pruned so far:

Knowledge measurement, for every unit not yet decided (the target and everything above).
With p = softmax(z/T) the uncompressed model's soft labels (recorded once) and q the
current model's,

    ℓ = T² · KL(p ‖ q)                                    per batch, batch-mean      (1)
    K_pred(u) = (1/N) Σ_batches ½ (∂ℓ/∂m_u)²              N samples                  (2)
    K_rep(u)  = (1/n) Σ_tokens x_u² · mean_j W_out[j,u]²  n tokens, padding excluded (3)
    s_u = (λ_rep K_rep(u) + λ_pred K_pred(u)) / f_u,  × μ for heads                  (4)

(2) is the second-order Taylor term of ℓ when m_u goes from 1 to 0, its Hessian taken as
the outer product of gradients (Fisher); (3) is the energy unit u adds to the output
projection's output, ‖x_u‖² times its column's mean squared weight. For a head, (2) and
(3) are the means over its d_h mask entries. f_u is the unit's FLOPs (``flops.py``), so
s_u is knowledge per FLOP. Note that at the uncompressed model q = p, so ∂ℓ/∂m = 0:
until the first unit is pruned, units are ranked by representational knowledge alone
(in the reference too).

Knowledge-preserving mask search. Pool the scores of all undecided units and take

    τ* = min { τ : Σ_{pooled u, s_u > τ} f_u ≤ B }                                     (5)

with B the FLOPs still available; prune the target's units with s_u ≤ τ*, then
B ← B − Σ_{kept target units} f_u. B starts at (1 − c) × the model's FLOPs, and every
step keeps within it, so the pruned model meets the budget exactly.

Knowledge-preserving weight tuning. The kept units' output-projection columns W are
re-fitted so that the pruned model's sub-layer output matches the uncompressed one's:
with X the kept units' activations and r the residual input in the *pruned* model, b the
bias and Y the uncompressed sub-layer output before its LayerNorm (output + residual),

    min_W ‖X Wᵀ − (Y − r − b)‖²   ⇔   (XᵀX) Wᵀ = Xᵀ(Y − r − b)                         (6)

Inputs from the pruned model, target from the dense one: error accumulated in the
sub-layers below is corrected here (as in knowledge-retention pruning, ``krp.md``).

Deviations from the reference implementation, each for a stated reason:
- (5) includes τ = −∞ and uses ≤: the reference starts at the smallest score and tests
  "< B", so it always prunes at least the lowest unit, even when c = 0.
- (6) takes, of all minimisers, the one closest to the current W (pseudo-inverse of
  XᵀX applied to the residual of the current W, in float64); the reference's lstsq
  returns some minimiser, which differs only when XᵀX is singular. While no unit has been
  removed the model is still the dense one and W is already exact, so (6) is skipped
  there rather than fitted to float rounding noise.
- 4,096 sample tokens by default instead of 100,000, for CPU run times (see
  ``KPruneConfig.sample_tokens``).
- The sample is batched shortest text first, to spend little compute on padding. The
  squared gradient of (2) is taken per batch (as in the reference), so which samples
  share a batch matters a little; the reference batches in data-loader order.

As in the reference, only the target and the sub-layers above it carry masks; the
layers below are already pruned and are run forward without gradients.
"""

from __future__ import annotations

import copy
import random
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from robustprune.device import reproducible_factorisation
from robustprune.errors import RobustPruneError
from robustprune.evaluate import batched, tokenize
from robustprune.models import adapter
from robustprune.progress import Progress, silent
from robustprune.prune.engine import _Batch, capture_inputs, encoder_inputs, run_block
from robustprune.structured.flops import FlopsModel, budget_threshold, flops_model, model_cost, model_flops
from robustprune.structured.results import StructuredResult, SublayerRecord, structured_result
from robustprune.structured.surgery import record_shapes, remove_heads, remove_neurons, require_structured_support

SUBLAYER_KINDS = ("mha", "ffn")  # the two sub-layers of a layer, in forward order


@dataclass(frozen=True)
class KPruneConfig:
    """Everything that determines a K-prune run (the paper's defaults unless noted)."""

    flops_reduction: float  # c: the fraction of FLOPs to remove
    lambda_pred: float = 1.0
    lambda_rep: float = 2.5e-4
    mu: float = 64.0  # multiplier of head scores
    temperature: float = 2.0
    # The paper samples 100,000 tokens. Every sub-layer re-measures the knowledge with a
    # forward and backward pass over the whole sample (2L passes, cost linear in tokens).
    # On this project's 2-core CPU, MiniLM-L6 (12 passes) took 2.5-3 minutes with 4,096
    # tokens (~150 movie-review sentences; measured with other jobs sharing the cores);
    # 100,000 would take over an hour. 4,096 also keeps (6) over-determined for MiniLM's
    # FFN (4,096 tokens > 1,536 neurons). On a GPU, raise it towards the paper's value.
    sample_tokens: int = 4096
    seed: int = 0  # which texts are sampled
    batch_size: int = 32
    tune_weights: bool = True  # False: the paper's ablation without weight tuning (6)

    def __post_init__(self) -> None:
        if not 0.0 <= self.flops_reduction < 1.0:
            raise RobustPruneError(f"FLOPs reduction {self.flops_reduction!r} is out of range; use a fraction in [0, 1)")
        if self.lambda_pred < 0 or self.lambda_rep < 0 or self.lambda_pred + self.lambda_rep == 0:
            raise RobustPruneError("lambda_pred and lambda_rep must be ≥ 0 and not both 0")
        if self.mu <= 0 or self.temperature <= 0:
            raise RobustPruneError(f"mu ({self.mu}) and temperature ({self.temperature}) must be > 0")
        if self.sample_tokens < 1 or self.batch_size < 1:
            raise RobustPruneError(f"sample_tokens ({self.sample_tokens}) and batch_size ({self.batch_size}) must be ≥ 1")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Sublayer:
    layer: int
    kind: str  # "mha" or "ffn"

    @property
    def order(self) -> int:
        """Position in the bottom-up processing order: 2i for layer i's MHA, 2i + 1 for its FFN."""
        return 2 * self.layer + SUBLAYER_KINDS.index(self.kind)


def all_sublayers(num_layers: int) -> list[Sublayer]:
    return [Sublayer(layer, kind) for layer in range(num_layers) for kind in SUBLAYER_KINDS]


# ---------------------------------------------------------------------------------------
# Sample data

@dataclass
class Sample:
    """The sample data, prepared once: tokenised batches, the uncompressed model's soft
    labels for them (the p of Eq. 1), and the dense and pruned activation streams at the
    current block (for Eq. 6)."""

    texts: list[str]
    batches: list[dict[str, torch.Tensor]]
    soft_labels: list[torch.Tensor]
    streams: list[_Batch]
    tokens: int


def sample_texts(tokenizer, texts: list[str], sample_tokens: int, max_length: int, seed: int) -> list[str]:
    """Seeded random texts until their tokens (padding excluded) reach ``sample_tokens``,
    shortest first so that batches carry little padding."""
    order = random.Random(seed).sample(range(len(texts)), len(texts))
    chosen: list[tuple[int, str]] = []
    tokens = 0
    for chunk in batched(order, 256):  # tokenise only as many texts as needed
        lengths = [len(ids) for ids in tokenizer([texts[i] for i in chunk], truncation=True,
                                                 max_length=max_length)["input_ids"]]
        for index, length in zip(chunk, lengths):
            chosen.append((length, texts[index]))
            tokens += length
            if tokens >= sample_tokens:
                return shortest_first(chosen)
    return shortest_first(chosen)


def shortest_first(texts_with_lengths: list[tuple[int, str]]) -> list[str]:
    return [text for _, text in sorted(texts_with_lengths, key=lambda item: item[0])]


@torch.no_grad()
def soft_labels(model: nn.Module, batches: list[dict[str, torch.Tensor]], temperature: float) -> list[torch.Tensor]:
    """Eq. (1)'s p: the uncompressed model's softmax(z / T), one tensor per batch."""
    return [F.softmax(model(**batch).logits.float() / temperature, dim=-1) for batch in batches]


def prepare_sample(model: nn.Module, tokenizer, texts: list[str], config: KPruneConfig, max_length: int) -> Sample:
    chosen = sample_texts(tokenizer, texts, config.sample_tokens, max_length, config.seed)
    device = next(model.parameters()).device
    batches = [tokenize(tokenizer, chunk, max_length, device) for chunk in batched(chosen, config.batch_size)]
    streams = encoder_inputs(model, tokenizer, chosen, max_length, config.batch_size, calibration=True)
    tokens = sum(int(batch["attention_mask"].sum()) for batch in batches)
    return Sample(chosen, batches, soft_labels(model, batches, config.temperature), streams, tokens)


# ---------------------------------------------------------------------------------------
# Knowledge measurement, Eqs. (1)-(4)

@contextmanager
def frozen_parameters(model: nn.Module):
    """No gradients for the weights: only the masks' gradients are wanted."""
    flags = [(parameter, parameter.requires_grad) for parameter in model.parameters()]
    for parameter, _ in flags:
        parameter.requires_grad_(False)
    try:
        yield
    finally:
        for parameter, flag in flags:
            parameter.requires_grad_(flag)


class KnowledgeMeter:
    """Streams sample batches through the masked model and accumulates, per mask entry of
    each measured sub-layer, Σ ½(∂ℓ/∂m)² (Eq. 2) and Σ_tokens x² (Eq. 3)."""

    def __init__(self, model: nn.Module, sublayers: list[Sublayer], temperature: float) -> None:
        self.model = model
        self.temperature = temperature
        self.projections = {sublayer: adapter.output_projection(model, sublayer.layer, sublayer.kind)
                            for sublayer in sublayers}
        reference = next(model.parameters())
        self.dtype = reference.dtype
        self.masks = {sublayer: torch.ones(projection.in_features, device=reference.device, dtype=reference.dtype,
                                           requires_grad=True) for sublayer, projection in self.projections.items()}
        self.half_squared_gradients = {sublayer: self._zeros(sublayer) for sublayer in sublayers}
        self.squared_activations = {sublayer: self._zeros(sublayer) for sublayer in sublayers}
        self.samples = 0
        self.tokens = 0
        self._token_weights: torch.Tensor | None = None  # (batch, seq) 1.0 for real tokens, 0.0 for padding

    def _zeros(self, sublayer: Sublayer) -> torch.Tensor:
        return torch.zeros(self.projections[sublayer].in_features, device=self.masks[sublayer].device,
                           dtype=torch.float64)

    def _mask_hook(self, sublayer: Sublayer):
        def hook(module, args):
            activations = args[0]
            # Σ over real tokens of x², as a contraction with the token mask (no copy of the rows)
            squared_sum = torch.einsum("bt,btu->u", self._token_weights, activations.detach().square())
            self.squared_activations[sublayer] += squared_sum.double()
            return (activations * self.masks[sublayer],) + tuple(args[1:])
        return hook

    @contextmanager
    def attached(self):
        handles = [projection.register_forward_pre_hook(self._mask_hook(sublayer))
                   for sublayer, projection in self.projections.items()]
        try:
            with frozen_parameters(self.model):
                yield self
        finally:
            for handle in handles:
                handle.remove()

    def add_batch(self, batch: dict[str, torch.Tensor], dense_probabilities: torch.Tensor) -> None:
        token_mask = batch["attention_mask"].bool()
        self._token_weights = token_mask.to(self.dtype)
        with torch.enable_grad():
            logits = self.model(**batch).logits.float()
            loss = self.temperature ** 2 * F.kl_div(F.log_softmax(logits / self.temperature, dim=-1),
                                                     dense_probabilities, reduction="batchmean")  # Eq. (1)
            gradients = torch.autograd.grad(loss, list(self.masks.values()), allow_unused=True)
        for sublayer, gradient in zip(self.masks, gradients):
            if gradient is not None:
                self.half_squared_gradients[sublayer] += 0.5 * gradient.double().pow(2)
        self.samples += int(token_mask.shape[0])
        self.tokens += int(token_mask.sum())

    def knowledge(self, sublayer: Sublayer, head_size: int) -> tuple[torch.Tensor, torch.Tensor]:
        """(K_pred, K_rep) per unit of ``sublayer``: Eqs. (2) and (3); heads average their d_h entries."""
        predictive = self.half_squared_gradients[sublayer] / max(self.samples, 1)
        column_energy = self.projections[sublayer].weight.detach().double().pow(2).mean(dim=0)
        representational = self.squared_activations[sublayer] * column_energy / max(self.tokens, 1)
        if sublayer.kind == "mha":
            predictive = predictive.view(-1, head_size).mean(dim=1)
            representational = representational.view(-1, head_size).mean(dim=1)
        return predictive, representational


def knowledge_scores(model: nn.Module, sample: Sample, sublayers: list[Sublayer], config: KPruneConfig,
                     flops: FlopsModel) -> dict[Sublayer, torch.Tensor]:
    """Eq. (4) for every unit of ``sublayers``, measured on the current model."""
    meter = KnowledgeMeter(model, sublayers, config.temperature)
    with meter.attached():
        for batch, dense_probabilities in zip(sample.batches, sample.soft_labels):
            meter.add_batch(batch, dense_probabilities)
    scores = {}
    for sublayer in sublayers:
        predictive, representational = meter.knowledge(sublayer, flops.head_size)
        score = (config.lambda_rep * representational + config.lambda_pred * predictive) / flops.unit(sublayer.kind)
        scores[sublayer] = score * config.mu if sublayer.kind == "mha" else score
    return scores


# ---------------------------------------------------------------------------------------
# Knowledge-preserving mask search, Eq. (5)

def search_mask(target: Sublayer, scores: dict[Sublayer, torch.Tensor], flops: FlopsModel,
                remaining_flops: float) -> torch.Tensor:
    """Which units of ``target`` to keep: those scoring above τ* of Eq. (5) over all pooled units."""
    pooled = torch.cat([score for score in scores.values()])
    unit_flops = torch.cat([torch.full_like(score, float(flops.unit(sublayer.kind)))
                            for sublayer, score in scores.items()])
    threshold = budget_threshold(pooled, unit_flops, remaining_flops)
    return scores[target] > threshold


# ---------------------------------------------------------------------------------------
# Knowledge-preserving weight tuning, Eq. (6)

class LeastSquaresTuner:
    """Streams (X, Y − r − b) pairs of token rows; solves Eq. (6) for the output projection.

    Keeps XᵀX, Xᵀ(Y − r − b), ‖Y − r − b‖² and ‖Y‖² in float64, so the error of any W
    is ‖XWᵀ − T‖² = tr(W XᵀX Wᵀ) − 2 tr(W XᵀT) + ‖T‖² without a second pass.
    """

    def __init__(self, units_width: int, hidden_size: int, device: torch.device) -> None:
        self.gram = torch.zeros(units_width, units_width, dtype=torch.float64, device=device)
        self.cross = torch.zeros(units_width, hidden_size, dtype=torch.float64, device=device)
        self.target_energy = 0.0
        self.output_energy = 0.0

    def add_batch(self, activations: torch.Tensor, fixed_part: torch.Tensor, dense_output: torch.Tensor) -> None:
        """``activations`` X, ``fixed_part`` r + b of the pruned model, ``dense_output`` Y (rows = tokens)."""
        activations, dense_output = activations.double(), dense_output.double()
        target = dense_output - fixed_part.double()
        self.gram += activations.T @ activations
        self.cross += activations.T @ target
        self.target_energy += float(target.pow(2).sum())
        self.output_energy += float(dense_output.pow(2).sum())

    def relative_error(self, weight: torch.Tensor) -> float:
        """‖X Wᵀ + r + b − Y‖² / ‖Y‖²."""
        weight = weight.double()
        squared_error = (float(((weight @ self.gram) * weight).sum()) - 2 * float((weight * self.cross.T).sum())
                         + self.target_energy)
        return max(squared_error, 0.0) / max(self.output_energy, 1e-30)

    def solve(self, weight: torch.Tensor) -> torch.Tensor:
        """Eq. (6): W + Δ with Δᵀ = (XᵀX)⁺ (XᵀT − XᵀX Wᵀ), the minimiser closest to ``weight``."""
        weight64 = weight.double()
        with reproducible_factorisation(self.gram.device):
            pseudo_inverse = torch.linalg.pinv(self.gram, hermitian=True)
        correction = pseudo_inverse @ (self.cross - self.gram @ weight64.T)
        return (weight64 + correction.T).to(weight.dtype)


def tuning_statistics(model: nn.Module, dense_block: nn.Module, streams: list[_Batch],
                      target: Sublayer) -> LeastSquaresTuner:
    """Run block ``target.layer`` of the pruned and of the dense model over the sample; gather Eq. (6)'s sums."""
    block = adapter.blocks(model)[target.layer]
    projection = adapter.output_projection(model, target.layer, target.kind)
    dense_projection = adapter.output_projection(model, target.layer, target.kind, dense_block)
    pruned = BlockTap(projection, adapter.residual_reader(model, target.layer, target.kind))
    dense = BlockTap(dense_projection, adapter.residual_reader(model, target.layer, target.kind, dense_block))
    bias = projection.bias if projection.bias is not None else projection.weight.new_zeros(projection.out_features)
    tuner = LeastSquaresTuner(projection.in_features, projection.out_features, projection.weight.device)
    with pruned.attached(), dense.attached():
        for stream in streams:
            activations, residual = pruned.run(block, stream.sparse_hidden, stream)
            dense_activations, dense_residual = dense.run(dense_block, stream.dense_hidden, stream)
            # Y = r + W x + b; F.linear, as calling the module would fire its capture hook again
            dense_output = dense_residual + F.linear(dense_activations, dense_projection.weight, dense_projection.bias)
            tuner.add_batch(activations, residual + bias, dense_output)
    return tuner


class BlockTap:
    """Captures, while a block runs, one sub-layer's unit activations (its output projection's
    input) and its residual input, real tokens only."""

    def __init__(self, projection: nn.Linear, residual_reader: nn.Linear | None) -> None:
        self.linears = {"activations": projection}
        if residual_reader is not None:
            self.linears["residual"] = residual_reader
        self.store: dict[str, torch.Tensor] = {}
        self.token_mask_ref: list = [None]

    @contextmanager
    def attached(self):
        with capture_inputs(self.linears, self.store, self.token_mask_ref):
            yield self

    def run(self, block: nn.Module, hidden: torch.Tensor, stream: _Batch) -> tuple[torch.Tensor, torch.Tensor]:
        """(X, r) of one batch: rows are the batch's real tokens."""
        self.token_mask_ref[0] = stream.token_mask
        run_block(block, hidden, stream)
        residual = self.store["residual"] if "residual" in self.linears else hidden[stream.token_mask]
        return self.store["activations"], residual


# ---------------------------------------------------------------------------------------
# The iterative pruning process

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
