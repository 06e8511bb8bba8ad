"""What a user must see on the embedded default (MiniLM-L6 on rotten_tomatoes).

Slow: fine-tunes the default (a few minutes on a 2-core CPU) and prunes it six times;
the runs are cached in one store for the whole module.
"""

import pytest

from robustprune.pipeline import ensure_dense, prune
from robustprune.prune import PruneConfig
from robustprune.store import RunStore

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return RunStore(tmp_path_factory.mktemp("default-store"))


@pytest.fixture(scope="module")
def dense(store):
    return ensure_dense("minilm", "rotten_tomatoes", store=store, device="cpu")


def pruned(store, method, sparsity):
    return prune(PruneConfig(method, sparsity), "minilm", "rotten_tomatoes", "cpu", store=store)


def test_default_dense_model_reaches_about_80_percent(dense):
    """Measured 80.0-82.5 % on different machines (one fine-tune does not reproduce bit for bit across them):
    the bound leaves a point of room below that."""
    assert dense.accuracy >= 0.79 and dense.test_examples == 400


def test_krp_at_half_sparsity_keeps_accuracy_within_two_points(dense, store):
    result = pruned(store, "krp", 0.5)
    assert abs(result.sparsity - 0.5) < 1e-4
    assert result.accuracy_sparse >= dense.accuracy - 0.02


def test_at_70_percent_the_reconstructing_methods_beat_magnitude(dense, store):
    """krp and SparseGPT keep accuracy where magnitude pruning loses it, and krp stays near the dense model. Over
    three fine-tune seeds on one machine: krp 80.0-81.5 %, SparseGPT 75.3-78.8 %, magnitude 54.8-69.0 % (dense
    79.8-81.0 %); the bounds leave room below the narrowest of those gaps. The order of krp and SparseGPT is not
    asserted: on one fine-tune it flipped from one machine to another."""
    accuracy = {method: pruned(store, method, 0.7).accuracy_sparse for method in ("krp", "sparsegpt", "magnitude")}
    assert min(accuracy["krp"], accuracy["sparsegpt"]) >= accuracy["magnitude"] + 0.03, accuracy
    assert accuracy["krp"] >= dense.accuracy - 0.05, accuracy


def test_krp_corrects_the_error_sparsegpt_accumulates(dense, store):
    krp, sparsegpt = pruned(store, "krp", 0.7), pruned(store, "sparsegpt", 0.7)
    assert krp.layers[-1].reconstruction_error_e2e < sparsegpt.layers[-1].reconstruction_error_e2e


def test_kprune_beats_structured_magnitude_at_half_the_flops(dense, store):
    from robustprune.structured import KPruneConfig
    from robustprune.structured.runs import prune_structured

    config = KPruneConfig(flops_reduction=0.5)
    kprune = prune_structured("kprune", config, "minilm", "rotten_tomatoes", "cpu", store=store)
    magnitude = prune_structured("structured-magnitude", config, "minilm", "rotten_tomatoes", "cpu", store=store)
    assert kprune.result.flops_ratio <= 0.5 + 0.01 and magnitude.result.flops_ratio <= 0.5 + 0.01
    assert kprune.accuracy_sparse > magnitude.accuracy_sparse
