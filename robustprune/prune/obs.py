"""The OBS / SparseGPT layer solve shared by ``sparsegpt`` and ``krp``.

Given a weight W (out × in) and a damped Hessian H = X Xᵀ/n + λI of the layer inputs X
(in × n tokens), find a sparse Ŵ that keeps tr((W − Ŵ) H (W − Ŵ)ᵀ) small. This is the
blockwise procedure of SparseGPT (Frantar & Alistarh, 2023, Algorithm 1):

- U, the upper Cholesky factor of H⁻¹ (H⁻¹ = Uᵀ U), gives for column j the inverse-Hessian
  row restricted to the columns not yet processed;
- columns are processed left to right in blocks of B; at the start of a block the mask is
  chosen inside it (adaptive mask selection) by the OBS saliency w² / U_jj²;
- inside the block, column j is quantised to its mask (q = w or 0) and the error
  e = (w − q) / U_jj is spread over the remaining columns: W[:, j:] −= e U[j, j:];
- after the block the accumulated errors update all later columns at once (lazy batch
  update): W[:, end:] −= E U[block, end:].

Unlike the reference code, the number of zeros is exact: round(s · out · in) for the whole
layer, shared over the blocks by cumulative rounding.
"""

from __future__ import annotations

import torch

from robustprune.device import reproducible_factorisation
from robustprune.prune.base import NMPattern, pruned_count

# Recorded in the summary of every run that uses this solve (``robustprune.prune.solver_key``); bump when a change
# alters its results. 3: U from one Cholesky of the reversed Hessian and a triangular inverse (below); 2: float32
# statistics, float32 factorisation (Cholesky, its inverse, Cholesky again), krp's rectified weight from the factor;
# 1 (no field): float64 statistics and solves.
OBS_SOLVER_VERSION = 3

class HessianAccumulator:
    """Streams a layer's inputs (rows = tokens) into X Xᵀ and, optionally, X_dᵀ X_s (float32).

    The products are float32, like the reference's, and do not depend on the thread count: MKL
    splits a product over the output's tiles, never over the tokens summed inside one (identical
    on 1 to 4 threads up to 200,000 tokens, measured; ``test_thread_reproducibility`` checks the
    layer shapes), and the batches are added in the order they come. What did depend on it is
    the factorisation (see ``inverse_hessian_factor``).
    """

    def __init__(self, columns: int, device: torch.device, with_cross: bool = False) -> None:
        self.gram = torch.zeros(columns, columns, device=device)
        self.cross = torch.zeros_like(self.gram) if with_cross else None
        self.tokens = 0

    def add(self, sparse_inputs: torch.Tensor, dense_inputs: torch.Tensor | None = None) -> None:
        sparse_inputs = sparse_inputs.float()
        self.gram += sparse_inputs.T @ sparse_inputs
        if self.cross is not None:
            self.cross += dense_inputs.float().T @ sparse_inputs
        self.tokens += sparse_inputs.shape[0]

    def damping(self, fraction: float) -> float:
        """λ = fraction × mean diagonal of X Xᵀ/n (SparseGPT's percdamp)."""
        mean_diagonal = float(torch.diagonal(self.gram).mean()) / max(self.tokens, 1)
        return fraction * mean_diagonal if mean_diagonal > 0 else fraction

    def damped_hessian(self, damping: float) -> torch.Tensor:
        """H = X_s X_sᵀ / n + λI."""
        hessian = self.gram / max(self.tokens, 1)
        return hessian + damping * torch.eye(hessian.shape[0], dtype=hessian.dtype, device=hessian.device)

    def damped_cross(self, damping: float) -> torch.Tensor:
        """X_d X_sᵀ / n + λI: the right-hand side of the ridge-to-dense normal equations (see krp)."""
        cross = self.cross / max(self.tokens, 1)
        return cross + damping * torch.eye(cross.shape[0], dtype=cross.dtype, device=cross.device)


def inverse_hessian_factor(hessian: torch.Tensor) -> torch.Tensor:
    """U with H⁻¹ = Uᵀ U (upper Cholesky factor of the inverse), float32.

    With J the reversal of rows and columns and J H J = M Mᵀ (lower Cholesky), H = J M Mᵀ J, so
    H⁻¹ = (M⁻¹ J)ᵀ (M⁻¹ J) = (J M⁻¹ J)ᵀ (J M⁻¹ J): U = J M⁻¹ J, upper triangular with a positive
    diagonal. One Cholesky and one triangular inverse, where the reference takes a Cholesky, its
    inverse and a Cholesky again (the same U to rounding: 3e-7 relative at 1,536 columns).

    The Cholesky runs on one CPU thread (``reproducible_factorisation``: MKL's LAPACK rounds by its
    thread split); the triangular inverse is a solve with the identity on every thread, which MKL
    splits by right-hand side (bit-identical on 1 to 4 threads at 64 to 3,072 columns,
    ``tests/prune/test_thread_reproducibility.py``). At 1,536 columns: 60 ms against 95 ms for the
    three one-thread steps on this 2-core CPU. In float32 like the reference; float64 only where
    the float32 Cholesky breaks down (H not numerically positive definite in float32)."""
    reversed_hessian = hessian.flip(0, 1)
    for dtype in (torch.float32, torch.float64):
        with reproducible_factorisation(hessian.device):
            lower, failed = torch.linalg.cholesky_ex(reversed_hessian.to(dtype))
        if not failed:
            identity = torch.eye(hessian.shape[0], dtype=dtype, device=hessian.device)
            return torch.linalg.solve_triangular(lower, identity, upper=False).flip(0, 1).float()
    raise torch.linalg.LinAlgError("the damped Hessian is not positive definite even in float64; "
                                   "raise the damping (PruneConfig.damping)")


def block_prune_counts(rows: int, columns: int, sparsity: float, blocksize: int) -> list[int]:
    """Zeros per column block, summing exactly to round(sparsity · rows · columns)."""
    edges = list(range(0, columns, blocksize)) + [columns]
    cumulative = [pruned_count(rows * edge, sparsity) for edge in edges]
    return [after - before for before, after in zip(cumulative, cumulative[1:])]


def smallest_mask(saliency: torch.Tensor, count: int) -> torch.Tensor:
    """Boolean mask of the ``count`` entries with the smallest saliency."""
    mask = torch.zeros_like(saliency, dtype=torch.bool)
    if count > 0:
        flat_indices = torch.topk(saliency.flatten(), count, largest=False).indices
        mask.view(-1)[flat_indices] = True
    return mask


def obs_prune(weight: torch.Tensor, factor: torch.Tensor, sparsity: float,
              pattern: NMPattern | None = None, blocksize: int = 128) -> torch.Tensor:
    """Prune ``weight`` (out × in) under the damped Hessian whose inverse's factor U
    (``inverse_hessian_factor``, in × in) is ``factor``; returns the new weight."""
    weight = weight.detach().clone().float()
    rows, columns = weight.shape
    if pattern is not None:
        blocksize = max(pattern.m, blocksize - blocksize % pattern.m)
    factor = factor.to(weight.device)
    counts = block_prune_counts(rows, columns, sparsity, blocksize)
    for block_index, start in enumerate(range(0, columns, blocksize)):
        end = min(start + blocksize, columns)
        block = weight[:, start:end].clone()
        block_factor = factor[start:end, start:end]
        diagonal = torch.diagonal(block_factor)
        pruned_block = torch.zeros_like(block)
        block_errors = torch.zeros_like(block)
        if pattern is None:
            mask = smallest_mask(block ** 2 / diagonal.reshape(1, -1) ** 2, counts[block_index])
        else:
            mask = torch.zeros_like(block, dtype=torch.bool)
        for column in range(end - start):
            if pattern is not None and column % pattern.m == 0:
                group = slice(column, column + pattern.m)
                saliency = block[:, group] ** 2 / diagonal[group].reshape(1, -1) ** 2
                chosen = torch.topk(saliency, pattern.n, dim=1, largest=False).indices
                mask[:, group].scatter_(1, chosen, True)
            values = block[:, column]
            kept = values.masked_fill(mask[:, column], 0.0)
            pruned_block[:, column] = kept
            error = (values - kept) / diagonal[column]
            block[:, column:] -= error.unsqueeze(1) @ block_factor[column, column:].unsqueeze(0)
            block_errors[:, column] = error
        weight[:, start:end] = pruned_block
        weight[:, end:] -= block_errors @ factor[start:end, end:]  # lazy batch update
    return weight
