"""Every pruning method on a CUDA GPU gives the CPU's result within float tolerance (skipped without one).

Masks may differ where two weights' saliencies tie to float precision, so the check is on what the
method optimises: the same sparsity exactly, and weights and per-layer errors close to the CPU's."""

import copy

import pytest
import torch

from robustprune.models import adapter
from robustprune.prune import METHODS, PruneConfig
from robustprune.prune.engine import prune_model
from tests.conftest import SENTENCES

pytestmark = [pytest.mark.cuda,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]


def pruned(model, tokenizer, method, device):
    model = copy.deepcopy(model).to(device)
    config = PruneConfig(method, 0.5, blocksize=32)
    records = prune_model(model, tokenizer, SENTENCES[:48], SENTENCES[48:], METHODS[method], config, 32)
    return model.cpu(), records


@pytest.mark.parametrize("method", sorted(METHODS))
def test_a_prune_on_cuda_matches_the_cpu(tiny_model, tokenizer, method):
    on_cpu, cpu_records = pruned(tiny_model, tokenizer, method, "cpu")
    on_gpu, gpu_records = pruned(tiny_model, tokenizer, method, "cuda")
    for cpu_linear, gpu_linear in zip(adapter.prunable_linears(on_cpu), adapter.prunable_linears(on_gpu)):
        cpu_weight, gpu_weight = cpu_linear.module.weight, gpu_linear.module.weight
        assert int((gpu_weight == 0).sum()) == int((cpu_weight == 0).sum()), cpu_linear.name
        assert float((gpu_weight - cpu_weight).norm() / cpu_weight.norm()) < 1e-2, cpu_linear.name
    for cpu_record, gpu_record in zip(cpu_records, gpu_records):
        assert gpu_record.reconstruction_error_local == pytest.approx(cpu_record.reconstruction_error_local,
                                                                       rel=0.05, abs=1e-5), cpu_record.name
