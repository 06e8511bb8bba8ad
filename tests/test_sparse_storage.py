"""Bitmask storage: exact round trip, and the file shrinks with sparsity."""

import torch

from robustprune.sparse_storage import load_sparse, save_sparse


def test_round_trip_is_exact_and_smaller(tmp_path):
    torch.manual_seed(0)
    weights = {}
    for name, sparsity in (("a", 0.5), ("b", 0.9)):
        weight = torch.randn(37, 29)
        weight[torch.rand_like(weight) < sparsity] = 0
        weights[name] = weight
    save_sparse(weights, tmp_path / "sparse.safetensors")
    restored = load_sparse(tmp_path / "sparse.safetensors")
    assert set(restored) == {"a", "b"}
    for name in weights:
        assert torch.equal(restored[name], weights[name])
    from safetensors.torch import save_file

    save_file(weights, str(tmp_path / "dense.safetensors"))
    assert (tmp_path / "sparse.safetensors").stat().st_size < 0.6 * (tmp_path / "dense.safetensors").stat().st_size
