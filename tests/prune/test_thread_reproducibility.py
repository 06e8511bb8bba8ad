"""A pruning run gives the same weights on any number of CPU threads (a serial sweep uses all of
them, a Ray task one): the factorisations OBS, krp and K-prune solve with must not depend on it,
nor the float32 statistics they are given (products use every thread, factorisations one)."""

import pytest
import torch

from robustprune.prune import METHODS, PruneConfig
from robustprune.prune.krp import rectified_weight
from robustprune.prune.obs import HessianAccumulator, inverse_hessian_factor
from robustprune.structured.kprune import LeastSquaresTuner


def spd(size: int, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    inputs = torch.randn(4 * size, size, dtype=torch.float64, generator=generator)
    return inputs.T @ inputs / size + 0.01 * torch.eye(size, dtype=torch.float64)


def on_threads(threads: int, function):
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        return function()
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("size", [64, 384, 1536, 3072])  # MiniLM's 384 and 1,536; BERT-base's FFN out 3,072
def test_inverse_hessian_factor_is_the_same_on_one_to_four_threads(size):
    """Its Cholesky runs on one thread; its triangular inverse on all of them, split by right-hand side."""
    hessian = spd(size, seed=size)
    one = on_threads(1, lambda: inverse_hessian_factor(hessian))
    for threads in (2, 3, 4):
        assert torch.equal(one, on_threads(threads, lambda: inverse_hessian_factor(hessian))), threads


def test_rectified_weight_is_the_same_on_one_and_two_threads():
    hessian, cross = spd(384, seed=1), spd(384, seed=2)
    weight = torch.randn(1536, 384, generator=torch.Generator().manual_seed(3))
    def rectify():
        return rectified_weight(weight, hessian, cross, inverse_hessian_factor(hessian))

    assert torch.equal(on_threads(1, rectify), on_threads(2, rectify))


def activation_batches(columns: int, seed: int, tokens=(431, 457, 402)):
    """Activation-like float32 batches (rows = tokens, unequal column scales) of uneven sizes, as from hooks."""
    generator = torch.Generator().manual_seed(seed)
    scales = 0.1 + 3 * torch.rand(columns, generator=generator)
    return [torch.randn(count, columns, generator=generator) * scales for count in tokens]


def statistics(sparse_batches, dense_batches):
    accumulator = HessianAccumulator(sparse_batches[0].shape[1], torch.device("cpu"), with_cross=True)
    for sparse, dense in zip(sparse_batches, dense_batches):
        accumulator.add(sparse, dense)
    return accumulator.gram, accumulator.cross


@pytest.mark.parametrize("columns", [384, 1536])
def test_float32_statistics_are_the_same_on_one_and_two_threads(columns):
    sparse, dense = activation_batches(columns, seed=5), activation_batches(columns, seed=6)
    one, two = on_threads(1, lambda: statistics(sparse, dense)), on_threads(2, lambda: statistics(sparse, dense))
    assert one[0].dtype == torch.float32
    assert torch.equal(one[0], two[0]) and torch.equal(one[1], two[1])


@pytest.mark.parametrize("method", ["sparsegpt", "krp"])
def test_a_pruned_ffn_output_layer_is_the_same_on_one_and_two_threads(method):
    sparse = activation_batches(1536, seed=7, tokens=(300, 260))
    dense = [batch + 0.1 * torch.randn_like(batch) for batch in sparse]
    weight = torch.randn(48, 1536, generator=torch.Generator().manual_seed(8))

    def prune():
        pruner = METHODS[method](weight, PruneConfig(method, 0.5))
        for sparse_batch, dense_batch in zip(sparse, dense):
            pruner.add_batch(sparse_batch, dense_batch if pruner.uses_dense_inputs else None)
        return pruner.prune()

    assert torch.equal(on_threads(1, prune), on_threads(2, prune))


def test_kprune_least_squares_is_the_same_on_one_and_two_threads():
    tuner = LeastSquaresTuner(384, 96, torch.device("cpu"))
    tuner.gram, tuner.cross = spd(384, seed=4), torch.randn(384, 96, dtype=torch.float64)
    weight = torch.randn(96, 384)
    assert torch.equal(on_threads(1, lambda: tuner.solve(weight)), on_threads(2, lambda: tuner.solve(weight)))


def test_the_thread_count_is_restored():
    assert on_threads(2, lambda: (inverse_hessian_factor(spd(64, seed=0)), torch.get_num_threads())[1]) == 2
