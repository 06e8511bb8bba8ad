"""Cached fine-tune and prune runs end to end, on a tiny local model and a tiny CSV."""

import json

import pytest
import torch

from robustprune import dense, pipeline
from robustprune.data import load_task_data
from robustprune.errors import RobustPruneError
from robustprune.finetune import FinetuneConfig
from robustprune.prune import PruneConfig
from robustprune.store import RunStore

QUICK = FinetuneConfig(epochs=0.5, batch_size=16)


@pytest.fixture
def data(tiny_csv):
    return load_task_data(str(tiny_csv), text_column="review", label_column="sentiment", max_length=32)


def test_prune_is_cached_and_reloads_the_same_model(tiny_model_dir, data, monkeypatch):
    config = PruneConfig("krp", 0.5, calibration=32, heldout=16, blocksize=32)
    first = pipeline.prune(config, tiny_model_dir, data, "cpu", QUICK)
    assert not first.cached and abs(first.sparsity - 0.5) < 1e-3
    assert len(first.layers) == 3 * 6 and first.dense_parts == ["embeddings", "pooler", "classifier"]

    def no_recompute(*args, **kwargs):
        raise AssertionError("a cached run was recomputed")

    monkeypatch.setattr(pipeline, "prune_model", no_recompute)
    monkeypatch.setattr(dense, "finetune", no_recompute)
    second = pipeline.prune(config, tiny_model_dir, data, "cpu", QUICK)
    assert second.cached
    assert second.to_dict() | {"cached": False} == first.to_dict() | {"cached": False}

    model, tokenizer = pipeline.load_pruned(first.run_id, "cpu")
    zeros = sum(int((p == 0).sum()) for n, p in model.named_parameters() if "encoder" in n and n.endswith("weight")
                and p.dim() == 2)
    assert zeros > 0
    from robustprune.evaluate import accuracy
    assert accuracy(model, tokenizer, data.test["text"], data.test["label"], 32) == pytest.approx(first.accuracy_sparse)


def test_different_settings_are_different_runs(tiny_model_dir, data):
    a = pipeline.prune(PruneConfig("magnitude", 0.3, calibration=8, heldout=8), tiny_model_dir, data, "cpu", QUICK)
    b = pipeline.prune(PruneConfig("magnitude", 0.6, calibration=8, heldout=8), tiny_model_dir, data, "cpu", QUICK)
    assert a.run_id != b.run_id and a.dense_run_id == b.dense_run_id
    assert {r.run_id for r in RunStore().list(kind="prune")} == {a.run_id, b.run_id}


def test_calibration_larger_than_training_set_is_refused_and_caches_nothing(tiny_model_dir, data):
    with pytest.raises(RobustPruneError, match="exceed"):
        pipeline.prune(PruneConfig("krp", 0.5, calibration=10_000), tiny_model_dir, data, "cpu", QUICK)
    assert RunStore().list(kind="prune") == []


def test_finetuning_learns_the_tiny_task(tiny_model_dir, data):
    result = pipeline.ensure_dense(tiny_model_dir, data, FinetuneConfig(epochs=5, batch_size=16, learning_rate=1e-3),
                                   "cpu")
    assert result.accuracy >= 0.9  # the label is one word of eight: an easy task
    assert pipeline.ensure_dense(tiny_model_dir, data, FinetuneConfig(epochs=5, batch_size=16,
                                                                      learning_rate=1e-3), "cpu").cached
    model, _ = pipeline.load_dense(result.run_id, "cpu")
    assert isinstance(model.classifier, torch.nn.Linear)


def test_a_finetune_records_its_test_predictions_for_the_collapse_check(tiny_model_dir, data):
    """The dense start's collapse check reads the whole test split, not the handful of texts an attack read."""
    from robustprune.evaluate import predict_logits
    from robustprune.sweep.table import model_collapse

    result = pipeline.ensure_dense(tiny_model_dir, data, QUICK, "cpu")
    model, tokenizer = pipeline.load_dense(result.run_id, "cpu")
    predictions = predict_logits(model, tokenizer, data.test["text"], 32).argmax(dim=1)
    assert result.test_prediction_counts == torch.bincount(predictions, minlength=2).tolist()
    assert sum(result.test_label_counts) == len(data.test)
    check = model_collapse(RunStore().get(result.run_id), attack_record=None)
    assert check is not None and check.examples == len(data.test) and check.accuracy == result.accuracy


def test_a_refitted_head_is_saved_with_the_run(tiny_model_dir, data):
    from robustprune.evaluate import accuracy

    config = PruneConfig("krp", 0.6, calibration=32, heldout=16, blocksize=32, refit_head=True)
    result = pipeline.prune(config, tiny_model_dir, data, "cpu", QUICK)
    model, tokenizer = pipeline.load_pruned(result.run_id, "cpu")
    dense, _ = pipeline.load_dense(result.dense_run_id, "cpu")
    assert not torch.equal(model.classifier.weight, dense.classifier.weight)
    assert accuracy(model, tokenizer, data.test["text"], data.test["label"], 32) == pytest.approx(result.accuracy_sparse)


def test_a_pruning_run_records_its_test_predictions_and_whether_it_collapsed(tiny_model_dir, data):
    from robustprune.collapse import check_counts
    from robustprune.evaluate import predict_logits

    result = pipeline.prune(PruneConfig("magnitude", 0.5, calibration=16, heldout=8), tiny_model_dir, data, "cpu",
                            QUICK)
    model, tokenizer = pipeline.load_pruned(result.run_id, "cpu")
    predictions = predict_logits(model, tokenizer, data.test["text"], 32).argmax(dim=1)
    assert result.test_prediction_counts == torch.bincount(predictions, minlength=2).tolist()
    assert result.test_label_counts == torch.bincount(torch.tensor(data.test["label"]), minlength=2).tolist()
    expected = check_counts(result.test_prediction_counts, result.test_label_counts, result.accuracy_sparse)
    reported = result.to_dict()
    assert (reported["collapsed"], reported["collapse_reason"]) == (expected.collapsed, expected.reason)
    cached = pipeline.prune(PruneConfig("magnitude", 0.5, calibration=16, heldout=8), tiny_model_dir, data, "cpu",
                            QUICK)
    assert cached.cached and cached.collapse == result.collapse


def test_a_model_folders_key_follows_its_weights_config_and_tokenizer(tmp_path, tokenizer, data):
    """A folder with pytorch_model.bin (no safetensors): replacing the weights, editing config.json or the
    tokenizer's vocabulary gives a new dense run; touching a file does not."""
    import os

    from tests.conftest import save_model_folder, tiny_bert

    folder = save_model_folder(tiny_bert(tokenizer, seed=0), tokenizer, tmp_path / "bin-model",
                               safe_serialization=False)
    assert (folder / "pytorch_model.bin").is_file() and not list(folder.glob("*.safetensors"))
    no_training = FinetuneConfig(epochs=0)
    first = pipeline.ensure_dense(str(folder), data, no_training, "cpu")
    assert pipeline.ensure_dense(str(folder), data, no_training, "cpu").cached

    os.utime(folder / "pytorch_model.bin")  # a new timestamp, the same bytes: the same model
    assert pipeline.ensure_dense(str(folder), data, no_training, "cpu").run_id == first.run_id

    tiny_bert(tokenizer, seed=1).save_pretrained(folder, safe_serialization=False)  # other weights
    second = pipeline.ensure_dense(str(folder), data, no_training, "cpu")
    assert not second.cached and second.run_id != first.run_id
    stored = [pipeline.load_dense(run.run_id, "cpu")[0].bert.embeddings.word_embeddings.weight for run in (first, second)]
    assert not torch.equal(*stored)  # the new run holds the new weights

    keys = {pipeline.model_fingerprint(str(folder))}
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "hidden_dropout_prob": 0.3}))
    keys.add(pipeline.model_fingerprint(str(folder)))
    with open(folder / "vocab.txt", "a") as vocab:
        vocab.write("newword\n")
    keys.add(pipeline.model_fingerprint(str(folder)))
    (folder / "README.md").write_text("notes")  # documentation does not change the model
    keys.add(pipeline.model_fingerprint(str(folder)))
    assert len(keys) == 3
