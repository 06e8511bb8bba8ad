"""The OBS / SparseGPT solve: exact sparsity, a known optimum, and better than magnitude."""

import pytest
import torch

from robustprune.prune.base import NMPattern, PruneConfig
from robustprune.prune.magnitude import MagnitudePruner
from robustprune.prune.obs import HessianAccumulator, block_prune_counts, inverse_hessian_factor, obs_prune


def correlated_inputs(tokens=512, columns=48, seed=0):
    """Activation-like inputs: a few shared directions, unequal column scales, noise.

    (With a dense random mixing matrix, H's eigenvalues spread over orders of magnitude
    and greedy OBS is not better than magnitude; transformer activations look like this.)
    """
    generator = torch.Generator().manual_seed(seed)
    shared = torch.randn(tokens, 4, generator=generator) @ torch.randn(4, columns, generator=generator)
    scales = 0.2 + 3 * torch.rand(columns, generator=generator)
    return (shared + 0.3 * torch.randn(tokens, columns, generator=generator)) * scales


def damped_hessian(inputs, fraction=0.01):
    statistics = HessianAccumulator(inputs.shape[1], inputs.device)
    statistics.add(inputs)
    return statistics.damped_hessian(statistics.damping(fraction))


def objective(weight, pruned, hessian):
    difference = (weight - pruned).double()
    return float(torch.trace(difference @ hessian.double() @ difference.T))


def prune_under(weight, hessian, sparsity, pattern=None, blocksize=128):
    return obs_prune(weight, inverse_hessian_factor(hessian), sparsity, pattern, blocksize)


@pytest.mark.parametrize("sparsity", [0.0, 0.1, 0.37, 0.5, 0.875, 0.98])
@pytest.mark.parametrize("blocksize", [7, 16, 128])
def test_obs_zeroes_exactly_the_requested_count(sparsity, blocksize):
    weight = torch.randn(24, 48)
    pruned = prune_under(weight, damped_hessian(correlated_inputs()), sparsity, blocksize=blocksize)
    assert int((pruned == 0).sum()) == round(sparsity * weight.numel())


def test_block_counts_add_up_to_the_layer_total():
    counts = block_prune_counts(rows=7, columns=100, sparsity=0.333, blocksize=16)
    assert len(counts) == 7 and sum(counts) == round(0.333 * 700)


def test_obs_with_zero_sparsity_keeps_the_weight():
    weight = torch.randn(8, 48)
    assert torch.equal(prune_under(weight, damped_hessian(correlated_inputs()), 0.0), weight)


def test_single_pruned_weight_gets_the_closed_form_obs_update():
    # one row; column 0 is by far the smallest, so OBS prunes exactly it, and the update of the
    # other columns must be the least-squares optimum with w_0 = 0: δ = -w_0 H⁻¹[:, 0] / H⁻¹[0, 0]
    hessian = damped_hessian(correlated_inputs(columns=4))
    weight = torch.tensor([[1e-3, 1.0, -2.0, 0.5]])
    pruned = prune_under(weight, hessian, sparsity=0.25)
    inverse = torch.linalg.inv(hessian.double())
    expected = weight.double() - weight[0, 0].double() * inverse[:, 0] / inverse[0, 0]
    assert pruned[0, 0] == 0
    torch.testing.assert_close(pruned.double(), expected.reshape(1, -1), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("sparsity", [0.3, 0.5, 0.7])
def test_obs_objective_beats_magnitude(sparsity):
    hessian = damped_hessian(correlated_inputs())
    weight = torch.randn(32, 48)
    magnitude = MagnitudePruner(weight, PruneConfig("magnitude", sparsity)).prune()
    assert objective(weight, prune_under(weight, hessian, sparsity), hessian) < objective(weight, magnitude, hessian)


@pytest.mark.parametrize("pattern", ["2:4", "1:4", "4:8"])
def test_nm_pattern_is_exact_in_every_group(pattern):
    nm = NMPattern.parse(pattern)
    weight = torch.randn(16, 64)
    for pruned in (prune_under(weight, damped_hessian(correlated_inputs(columns=64)), nm.n / nm.m, nm, blocksize=30),
                   MagnitudePruner(weight, PruneConfig("magnitude", 0.0, pattern=pattern)).prune()):
        zeros_per_group = (pruned == 0).reshape(16, -1, nm.m).sum(dim=2)
        assert torch.all(zeros_per_group == nm.n)


def test_the_factor_is_that_of_the_inverse_hessian():
    hessian = damped_hessian(correlated_inputs())
    factor = inverse_hessian_factor(hessian).double()
    assert torch.equal(factor, factor.triu())
    inverse = torch.linalg.inv(hessian.double())
    assert float((factor.T @ factor - inverse).norm() / inverse.norm()) < 1e-5


def test_a_hessian_float32_cannot_factor_is_factored_in_float64():
    # positive definite (eigenvalues 2 − 1e-9 and 1e-9), but in float32 1 − 1e-9 rounds to 1: singular
    hessian = torch.tensor([[1.0, 1.0 - 1e-9], [1.0 - 1e-9, 1.0]], dtype=torch.float64)
    assert torch.linalg.cholesky_ex(hessian.float()).info != 0
    in_float64 = torch.linalg.cholesky(torch.cholesky_inverse(torch.linalg.cholesky(hessian)), upper=True)
    assert torch.equal(inverse_hessian_factor(hessian), in_float64.float())
