"""The layer-by-layer driver on tiny random BERTs: sparsity, errors, and krp's correction."""

import copy

import pytest
import torch

from robustprune.models import adapter
from robustprune.prune import METHODS, PruneConfig, solver_key
from robustprune.prune.obs import OBS_SOLVER_VERSION
from robustprune.prune.engine import prune_model
from tests.conftest import SENTENCES


def run(model, tokenizer, method, sparsity, pattern=None):
    model = copy.deepcopy(model)
    config = PruneConfig(method, sparsity, pattern=pattern, blocksize=32)
    records = prune_model(model, tokenizer, SENTENCES[:48], SENTENCES[48:], METHODS[method], config, 32)
    return model, {record.name: record for record in records}


@pytest.mark.parametrize("method", sorted(METHODS))
@pytest.mark.parametrize("sparsity", [0.0, 0.3, 0.875])
def test_every_linear_gets_exactly_the_target_sparsity(tiny_model, tokenizer, method, sparsity):
    model, records = run(tiny_model, tokenizer, method, sparsity)
    linears = adapter.prunable_linears(model)
    assert [linear.name for linear in linears] == list(records)
    for linear in linears:
        zeros = int((linear.module.weight == 0).sum())
        assert zeros == round(sparsity * linear.module.weight.numel()), linear.name
        assert records[linear.name].sparsity == zeros / linear.module.weight.numel()


def test_dense_parts_are_untouched(tiny_model, tokenizer):
    model, _ = run(tiny_model, tokenizer, "krp", 0.5)
    for name in ("bert.embeddings.word_embeddings.weight", "bert.pooler.dense.weight", "classifier.weight"):
        assert torch.equal(model.state_dict()[name], tiny_model.state_dict()[name])


@pytest.mark.parametrize("sparsity", [0.5, 0.7])
def test_sparsegpt_local_error_is_at_most_magnitudes_on_every_layer(tiny_model, tokenizer, sparsity):
    _, sparsegpt = run(tiny_model, tokenizer, "sparsegpt", sparsity)
    _, magnitude = run(tiny_model, tokenizer, "magnitude", sparsity)
    for name in sparsegpt:
        assert sparsegpt[name].reconstruction_error_local <= magnitude[name].reconstruction_error_local, name


def test_first_block_krp_equals_sparsegpt(tiny_model, tokenizer):
    # the first block's Q, K, V read the unpruned embedding: no accumulated error yet
    krp_model, krp = run(tiny_model, tokenizer, "krp", 0.5)
    sparsegpt_model, sparsegpt = run(tiny_model, tokenizer, "sparsegpt", 0.5)
    for sublayer in ("query", "key", "value"):
        name = adapter.block_linears(krp_model, 0)[sublayer].name
        torch.testing.assert_close(krp_model.get_submodule(name).weight,
                                   sparsegpt_model.get_submodule(name).weight, rtol=0, atol=1e-5)
        assert krp[name].reconstruction_error_e2e == pytest.approx(sparsegpt[name].reconstruction_error_e2e, rel=1e-4)
        # and local == e2e there, since the inputs are the dense ones
        assert krp[name].reconstruction_error_local == pytest.approx(krp[name].reconstruction_error_e2e, rel=1e-5)


@pytest.mark.parametrize("sparsity", [0.5, 0.7])
def test_krp_corrects_accumulated_error_at_the_last_layer(tiny_model, tokenizer, sparsity):
    _, krp = run(tiny_model, tokenizer, "krp", sparsity)
    _, sparsegpt = run(tiny_model, tokenizer, "sparsegpt", sparsity)
    last = list(krp)[-1]
    assert krp[last].reconstruction_error_e2e < sparsegpt[last].reconstruction_error_e2e


@pytest.mark.parametrize("method", sorted(METHODS))
def test_nm_pattern_through_the_driver(tiny_model, tokenizer, method):
    model, records = run(tiny_model, tokenizer, method, 0.0, pattern="2:4")
    for linear in adapter.prunable_linears(model):
        groups = (linear.module.weight == 0).reshape(linear.module.weight.shape[0], -1, 4).sum(dim=2)
        assert torch.all(groups == 2), linear.name


def test_an_nm_pattern_fixes_the_sparsity_so_one_run_has_one_cache_key():
    assert PruneConfig("krp", 0.3, pattern="2:4") == PruneConfig("krp", 0.8, pattern="2:4")
    assert PruneConfig("krp", 0.3, pattern="1:4").sparsity == 0.25


def test_errors_grow_with_sparsity(tiny_model, tokenizer):
    _, low = run(tiny_model, tokenizer, "sparsegpt", 0.3)
    _, high = run(tiny_model, tokenizer, "sparsegpt", 0.8)
    assert all(high[name].reconstruction_error_local > low[name].reconstruction_error_local for name in low)


def test_refitting_the_head_brings_the_logits_closer_to_the_dense_ones(tiny_model, tokenizer):
    from robustprune.evaluate import predict_logits

    dense_logits = predict_logits(tiny_model, tokenizer, SENTENCES[:48], 32)
    errors = {}
    for refit in (False, True):
        model = copy.deepcopy(tiny_model)
        config = PruneConfig("krp", 0.7, blocksize=32, refit_head=refit)
        prune_model(model, tokenizer, SENTENCES[:48], SENTENCES[48:], METHODS["krp"], config, 32)
        errors[refit] = float(((predict_logits(model, tokenizer, SENTENCES[:48], 32) - dense_logits) ** 2).sum())
        if refit:  # the head stays dense
            assert int((model.classifier.weight == 0).sum()) == 0
    assert errors[True] < errors[False]


def test_only_runs_that_use_the_obs_solve_record_its_version():
    # recorded in the run's summary (the cache key stays as the landed version wrote it: tests/requests/test_run_ids)
    assert solver_key(PruneConfig("krp", 0.5)) == solver_key(PruneConfig("sparsegpt", 0.5)) == {"obs_solver": OBS_SOLVER_VERSION}
    assert solver_key(PruneConfig("magnitude", 0.5)) == solver_key(PruneConfig("wanda", 0.5)) == {}
    assert solver_key(PruneConfig("magnitude", 0.5, refit_head=True)) == {"obs_solver": OBS_SOLVER_VERSION}
