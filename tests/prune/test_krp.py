"""krp's layer objective: the rectified weight is the optimum, and the OBS reduction is exact."""

import torch

from robustprune.prune.base import PruneConfig
from robustprune.prune.krp import KnowledgeRetentionPruner, rectified_weight
from robustprune.prune.obs import HessianAccumulator, inverse_hessian_factor
from robustprune.prune.sparsegpt import SparseGPTPruner


def inputs_pair(tokens=400, columns=24, drift=0.3, seed=0):
    generator = torch.Generator().manual_seed(seed)
    dense = torch.randn(tokens, columns, generator=generator) @ torch.randn(columns, columns, generator=generator)
    sparse = dense + drift * torch.randn(tokens, columns, generator=generator)  # accumulated error
    return sparse, dense


def layer_objective(weight, candidate, sparse, dense, damping):
    """Eq. (1): ‖W X_d − Ŵ X_s‖²/n + λ‖W − Ŵ‖² (rows = tokens here)."""
    w, c = weight.double(), candidate.double()
    residual = dense.double() @ w.T - sparse.double() @ c.T
    return float((residual ** 2).sum() / sparse.shape[0] + damping * ((w - c) ** 2).sum())


def exact_factor(hessian):
    """U with H⁻¹ = Uᵀ U in float64, for the identities that hold for the exact optimum."""
    return torch.linalg.cholesky(torch.linalg.inv(hessian.double()), upper=True)


def statistics_of(sparse, dense):
    statistics = HessianAccumulator(sparse.shape[1], sparse.device, with_cross=True)
    for start in range(0, sparse.shape[0], 100):  # streamed in batches, as from hooks
        statistics.add(sparse[start:start + 100], dense[start:start + 100])
    return statistics


def test_rectified_weight_is_the_least_squares_optimum():
    sparse, dense = inputs_pair()
    weight = torch.randn(10, 24)
    statistics = statistics_of(sparse, dense)
    damping = statistics.damping(0.01)
    hessian = statistics.damped_hessian(damping)
    optimum = rectified_weight(weight, hessian, statistics.damped_cross(damping), exact_factor(hessian))
    best = layer_objective(weight, optimum, sparse, dense, damping)
    for _ in range(5):  # any perturbation is worse
        assert layer_objective(weight, optimum + 1e-2 * torch.randn_like(optimum), sparse, dense, damping) > best
    assert layer_objective(weight, weight, sparse, dense, damping) > best


def test_objective_splits_into_constant_plus_obs_term():
    # Eq. (3): L(Ŵ) = L(W*) + tr((W* − Ŵ) H (W* − Ŵ)ᵀ) for any Ŵ
    sparse, dense = inputs_pair(seed=1)
    weight = torch.randn(6, 24)
    statistics = statistics_of(sparse, dense)
    damping = statistics.damping(0.01)
    hessian = statistics.damped_hessian(damping).double()
    optimum = rectified_weight(weight, hessian, statistics.damped_cross(damping), exact_factor(hessian))
    candidate = torch.randn(6, 24).double()
    obs_term = torch.trace((optimum - candidate) @ hessian @ (optimum - candidate).T)
    expected = layer_objective(weight, optimum, sparse, dense, damping) + float(obs_term)
    assert abs(layer_objective(weight, candidate, sparse, dense, damping) - expected) < 1e-6 * abs(expected)


def test_the_float32_rectified_weight_is_the_float64_solve_to_float32_precision():
    sparse, dense = inputs_pair(drift=0.5, seed=3)
    weight = torch.randn(16, 24)
    statistics = statistics_of(sparse, dense)
    damping = statistics.damping(0.01)
    hessian, cross = statistics.damped_hessian(damping), statistics.damped_cross(damping)
    rectified = rectified_weight(weight, hessian, cross, inverse_hessian_factor(hessian))
    solved = torch.linalg.solve(hessian.double(), (weight.double() @ cross.double()).T).T
    assert rectified.dtype == torch.float32
    assert float((rectified.double() - solved).norm() / solved.norm()) < 1e-5


def test_without_accumulated_error_krp_is_sparsegpt():
    _, dense = inputs_pair()
    weight = torch.randn(12, 24)
    config = PruneConfig("krp", 0.5)
    krp, sparsegpt = KnowledgeRetentionPruner(weight, config), SparseGPTPruner(weight, config)
    krp.add_batch(dense, dense)
    sparsegpt.add_batch(dense, None)
    torch.testing.assert_close(krp.prune(), sparsegpt.prune(), rtol=0, atol=1e-5)


def test_krp_reconstructs_the_dense_output_better_than_sparsegpt():
    # greedy OBS guarantees this on average, not for every weight (float64 and float32 solves alike: 175 of 200
    # random weights), so over 10 seeded weights: krp's total error is lower, and lower for most of them
    sparse, dense = inputs_pair(drift=0.5, seed=2)
    results = {"krp": [], "sparsegpt": []}
    for seed in range(10):
        weight = torch.randn(16, 24, generator=torch.Generator().manual_seed(seed))
        for pruner_class in (KnowledgeRetentionPruner, SparseGPTPruner):
            pruner = pruner_class(weight, PruneConfig(pruner_class.name, 0.5))
            pruner.add_batch(sparse, dense)
            pruned = pruner.prune()
            results[pruner_class.name].append(float(((dense @ weight.T - sparse @ pruned.T) ** 2).sum()))
    assert sum(results["krp"]) < sum(results["sparsegpt"])
    assert sum(k < s for k, s in zip(results["krp"], results["sparsegpt"])) >= 7
