"""A pruning run gives the same weights on any number of CPU threads (a serial sweep uses all of
them, a Ray task one): the factorisations OBS, krp and K-prune solve with must not depend on it."""

import pytest
import torch

from robustprune.prune.krp import rectified_weight
from robustprune.prune.obs import inverse_hessian_factor
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


@pytest.mark.parametrize("size", [384, 1536])  # MiniLM's in-features: attention/FFN-in and FFN-out
def test_inverse_hessian_factor_is_the_same_on_one_and_two_threads(size):
    hessian = spd(size, seed=size)
    assert torch.equal(on_threads(1, lambda: inverse_hessian_factor(hessian)),
                       on_threads(2, lambda: inverse_hessian_factor(hessian)))


def test_rectified_weight_is_the_same_on_one_and_two_threads():
    hessian, cross = spd(384, seed=1), spd(384, seed=2)
    weight = torch.randn(1536, 384, generator=torch.Generator().manual_seed(3))
    assert torch.equal(on_threads(1, lambda: rectified_weight(weight, hessian, cross)),
                       on_threads(2, lambda: rectified_weight(weight, hessian, cross)))


def test_kprune_least_squares_is_the_same_on_one_and_two_threads():
    tuner = LeastSquaresTuner(384, 96, torch.device("cpu"))
    tuner.gram, tuner.cross = spd(384, seed=4), torch.randn(384, 96, dtype=torch.float64)
    weight = torch.randn(96, 384)
    assert torch.equal(on_threads(1, lambda: tuner.solve(weight)), on_threads(2, lambda: tuner.solve(weight)))


def test_the_thread_count_is_restored():
    assert on_threads(2, lambda: (inverse_hessian_factor(spd(64, seed=0)), torch.get_num_threads())[1]) == 2
