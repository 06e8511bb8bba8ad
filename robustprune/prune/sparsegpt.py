"""SparseGPT: OBS pruning of each layer against its own (already sparse) inputs.

Frantar & Alistarh, "SparseGPT: Massive Language Models Can Be Accurately Pruned in
One-Shot", ICML 2023. Per layer it minimises ‖W X_s − Ŵ X_s‖² + λ‖W − Ŵ‖², where X_s
are the inputs the already-pruned layers below feed this layer: the layer reproduces
what the *dense weight* would compute on the *sparse* inputs, so error accumulated below
is carried upward, not corrected (compare ``krp``).
"""

from __future__ import annotations

import torch

from robustprune.prune.base import LayerPruner, PruneConfig
from robustprune.prune.obs import HessianAccumulator, inverse_hessian_factor, obs_prune


class SparseGPTPruner(LayerPruner):
    name = "sparsegpt"
    summary = "OBS with lazy block updates, Hessian of the sparse model's inputs, no error correction"
    citation = "Frantar & Alistarh, ICML 2023"

    def __init__(self, weight: torch.Tensor, config: PruneConfig) -> None:
        super().__init__(weight, config)
        self.statistics = HessianAccumulator(weight.shape[1], weight.device, with_cross=self.uses_dense_inputs)

    def add_batch(self, sparse_inputs: torch.Tensor, dense_inputs: torch.Tensor | None) -> None:
        self.statistics.add(sparse_inputs, dense_inputs)

    def target_weight(self, damping: float, factor: torch.Tensor) -> torch.Tensor:
        """The weight OBS prunes: the dense one here; ``krp`` rectifies it first (with H⁻¹ = Uᵀ U, U = ``factor``)."""
        return self.weight

    def prune(self) -> torch.Tensor:
        damping = self.statistics.damping(self.config.damping)
        factor = inverse_hessian_factor(self.statistics.damped_hessian(damping))
        return obs_prune(self.target_weight(damping, factor), factor, self.config.target_sparsity,
                         self.config.nm, self.config.blocksize)
