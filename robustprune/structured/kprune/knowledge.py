"""Knowledge measurement, Eqs. (1)-(4) of the package docstring: predictive knowledge from the
masks' squared gradients of the distillation loss, representational knowledge from the energy
each unit adds to its output projection, per FLOP."""

from __future__ import annotations

from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import nn

from robustprune.models import adapter
from robustprune.structured.flops import FlopsModel
from robustprune.structured.kprune.config import KPruneConfig, Sublayer
from robustprune.structured.kprune.sample import Sample

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
