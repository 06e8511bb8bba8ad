"""An attack of the planted tiny classifier on a CUDA GPU finds what it finds on the CPU (skipped without one)."""

import copy

import pytest
import torch
from planted import LABELS, TEXTS

from robustprune.attack import AttackConfig, run_attack

pytestmark = [pytest.mark.cuda,
              pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]


def test_an_attack_on_cuda_matches_the_cpu(dense_model, tokenizer):
    config = AttackConfig(recipe="textbugger", num_examples=len(TEXTS), max_length=64, seed=3,
                          word_vectors="wordnet", similarity=False)
    on_cpu = run_attack(dense_model, tokenizer, TEXTS, LABELS, config)
    on_gpu = run_attack(copy.deepcopy(dense_model).to("cuda"), tokenizer, TEXTS, LABELS, config)
    assert on_gpu.summary.device.startswith("cuda") and on_cpu.summary.device == "cpu"
    assert [e.result for e in on_gpu.examples] == [e.result for e in on_cpu.examples]
    assert [e.perturbed_text for e in on_gpu.examples] == [e.perturbed_text for e in on_cpu.examples]
    assert on_gpu.summary.accuracy_under_attack == on_cpu.summary.accuracy_under_attack
