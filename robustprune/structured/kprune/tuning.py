"""Knowledge-preserving weight tuning, Eq. (6) of the package docstring: the kept units' output
projection re-fitted by least squares so that the pruned sub-layer, fed the pruned model's
inputs, reproduces the uncompressed sub-layer's output."""

from __future__ import annotations

from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import nn

from robustprune.device import reproducible_factorisation
from robustprune.models import adapter
from robustprune.prune.engine import _Batch, capture_inputs, run_block
from robustprune.structured.kprune.config import Sublayer

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
