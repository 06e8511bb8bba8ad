"""Knowledge-retention pruning (krp): the sparse layer reproduces the *dense* model's output.

Li et al., "Towards Robust Pruning: An Adaptive Knowledge-Retention Pruning Strategy
for Language Models", EMNLP 2023.

For one Linear layer with dense weight W (out × in), let X_d be its inputs in the dense
model and X_s its inputs in the model pruned so far (columns = calibration tokens, n of
them). The layer objective, with a ridge λ that pulls Ŵ towards the dense weight (the
same λ that damps SparseGPT's Hessian), is

    L(Ŵ) = ‖W X_d − Ŵ X_s‖²/n + λ‖W − Ŵ‖²                                       (1)

Setting the gradient to zero gives the unconstrained optimum, the "rectified" weight

    W* = W (X_d X_sᵀ/n + λI) H⁻¹,   H = X_s X_sᵀ/n + λI                          (2)

(the paper's Eq. 5 uses a plain ridge; this form makes W* = W exactly when X_s = X_d).
Expanding L around W*, the cross term vanishes by the normal equations, so

    L(Ŵ) = L(W*) + tr((W* − Ŵ) H (W* − Ŵ)ᵀ)                                      (3)

L(W*) does not depend on Ŵ, so minimising (1) over sparse Ŵ is exactly OBS / SparseGPT
pruning of W* under the Hessian H (``obs.obs_prune``). With no accumulated error
(X_s = X_d, e.g. the first block, whose input is the unpruned embedding) krp *is*
SparseGPT. Layers are processed in forward order so that each sees the inputs of the
already pruned layers below it, and the error accumulated there is corrected here.

Deviations from the paper: it solves with OBC (one weight at a time); this uses
SparseGPT's blockwise lazy-update equivalent, which is much faster at equal objective.
Its greedy weight-averaged dense start is a separate step (the dense model is whichever
you give it).
"""

from __future__ import annotations

import torch

from robustprune.prune.sparsegpt import SparseGPTPruner


def rectified_weight(weight: torch.Tensor, hessian: torch.Tensor, damped_cross: torch.Tensor,
                     inverse_factor: torch.Tensor) -> torch.Tensor:
    """Eq. (2), W* = W C H⁻¹ (C = X_d X_sᵀ/n + λI), computed as W* = W + W (C − H) H⁻¹ with
    H⁻¹ = Uᵀ U the factor OBS prunes with (``obs.inverse_hessian_factor``), in U's dtype.

    Products instead of a solve: the factor is needed anyway, and products use every thread
    without depending on their number, where a solve has to run on one thread to be
    reproducible. The correction form is W itself when X_s = X_d (C − H = 0 exactly), and in
    float32 its rounding scales with the correction (X_d − X_s) X_sᵀ/n, not with W."""
    dtype = inverse_factor.dtype
    weight = weight.to(dtype)
    correction = weight @ (damped_cross.to(dtype) - hessian.to(dtype))
    return weight + correction @ inverse_factor.T @ inverse_factor


class KnowledgeRetentionPruner(SparseGPTPruner):
    name = "krp"
    summary = "OBS on the rectified weight: sparse inputs reproduce the dense layer output (error corrected)"
    citation = "Li et al., EMNLP 2023"
    uses_dense_inputs = True

    def target_weight(self, damping: float, factor: torch.Tensor) -> torch.Tensor:
        return rectified_weight(self.weight, self.statistics.damped_hessian(damping), self.statistics.damped_cross(damping),
                                factor)
