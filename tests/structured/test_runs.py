"""Cached structured runs: K-prune through the pipeline and the CLI, reloaded smaller."""

import json

import pytest
import torch

from robustprune.cli import main
from robustprune.evaluate import predict_logits
from robustprune.structured import KPruneConfig
from robustprune.structured.runs import load_structured_run, prune_structured


@pytest.fixture
def data(tiny_csv):
    from robustprune.data import load_task_data

    return load_task_data(str(tiny_csv), text_column="review", label_column="sentiment", max_length=32)


def test_kprune_run_is_cached_and_reloads_smaller(tiny_model_dir, data, monkeypatch):
    from robustprune.finetune import FinetuneConfig
    from robustprune.structured import runs

    quick = FinetuneConfig(epochs=0.25, batch_size=16)
    config = KPruneConfig(flops_reduction=0.5, sample_tokens=300)
    first = prune_structured("kprune", config, tiny_model_dir, data, "cpu", quick)
    assert first.result.flops_after <= 0.5 * first.result.flops_before + first.result.flops_before / 10
    assert first.result.params_after < first.result.params_before

    monkeypatch.setattr(runs, "kprune", lambda *a, **k: pytest.fail("a cached run was recomputed"))
    second = prune_structured("kprune", config, tiny_model_dir, data, "cpu", quick)
    assert second.cached and second.to_dict() | {"cached": False} == first.to_dict() | {"cached": False}

    model, tokenizer = load_structured_run(first.run_id, "cpu")
    assert sum(p.numel() for p in model.parameters()) < first.result.params_before
    predictions = predict_logits(model, tokenizer, data.test["text"], 32).argmax(dim=1)
    assert float((predictions == torch.tensor(data.test["label"])).float().mean()) == pytest.approx(first.accuracy_sparse)


def test_cli_structured_magnitude_json(capsys, tiny_model_dir, tiny_csv):
    argv = ["prune", "--method", "structured-magnitude", "--flops-reduction", "0.4", "--model", tiny_model_dir,
            "--dataset", str(tiny_csv), "--text-column", "review", "--label-column", "sentiment",
            "--epochs", "0.25", "--device", "cpu", "--json"]
    assert main(argv) == 0
    output = json.loads(capsys.readouterr().out)
    assert output["method"] == "structured-magnitude" and output["flops_ratio"] <= 0.6 + 0.05
    assert {"run_id", "accuracy_dense", "accuracy_sparse", "heads_kept", "neurons_kept", "flops_before",
            "flops_after", "cached"} <= set(output)


def test_cli_rejects_a_flops_reduction_out_of_range(capsys, tiny_model_dir, tiny_csv):
    code = main(["prune", "--method", "kprune", "--flops-reduction", "1.2", "--model", tiny_model_dir,
                 "--dataset", str(tiny_csv), "--text-column", "review", "--label-column", "sentiment"])
    assert code == 2 and "1.2" in capsys.readouterr().err
    from robustprune.store import RunStore

    assert RunStore().list() == []
