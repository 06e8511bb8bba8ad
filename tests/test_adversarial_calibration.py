"""Robustness-aware calibration: adversarial texts of the dense model, from the training split only, in krp's
calibration set; it changes the run, and it lowers the sparse model's error exactly where attacks probe."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from robustprune import pipeline
from robustprune.adversarial_calibration import adversarial_texts, shares
from robustprune.data import load_task_data
from robustprune.finetune import FinetuneConfig
from robustprune.models import adapter
from robustprune.prune import PruneConfig
from robustprune.store import RunStore

KEEP = FinetuneConfig(epochs=0)  # the tiny model as it is


@pytest.fixture
def data(tiny_csv):
    return load_task_data(str(tiny_csv), text_column="review", label_column="sentiment", max_length=32)


def test_shares_split_the_texts_over_the_recipes():
    assert shares(9, ("textfooler", "textbugger")) == [5, 4] and shares(4, ("textbugger",)) == [4]


@pytest.fixture
def unique_data(tmp_path):
    """256 distinct sentences (tiny_csv repeats its 64), so that overlap can be told by the text itself."""
    from tests.conftest import ADJECTIVES, ENDINGS

    positive = {"great", "fine", "superb", "moving"}
    rows = [{"text": f"{opening} {adjective} and the plot {ending}", "label": int(adjective in positive)}
            for opening in ("this movie was", "the film felt", "that show seemed", "our trip was")
            for adjective in ADJECTIVES for ending in ENDINGS]
    path = tmp_path / "unique.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return load_task_data(str(path), max_length=32)


def test_the_texts_come_from_the_training_split_outside_the_calibration_sample(tiny_model_dir, unique_data):
    """The attacked test texts, the calibration and held-out sample and the adversarial pool never overlap."""
    from robustprune.attack.records import AttackResult

    data = unique_data
    config = PruneConfig("krp", 0.5, calibration=16, heldout=8, calibration_adversarial=6)
    dense = pipeline.ensure_dense(tiny_model_dir, data, KEEP, "cpu")
    sample = pipeline.calibration_indices(data, config)
    found = adversarial_texts(dense.run_id, data, config, set(sample), 32, "cpu")
    store = RunStore()
    attacked = {example.original_text for run_id in found.attack_run_ids
                for example in AttackResult.load(store.require(run_id).directory / "attack").examples}
    train, test = set(data.train["text"]), set(data.test["text"])
    sampled = set(data.train.select(sample)["text"])
    assert len(train) + len(test) == 256 and not train & test
    assert attacked and attacked <= train and not attacked & test and not attacked & sampled
    assert len(found.attack_run_ids) == 2 and len(found.texts) <= 6 and found.succeeded <= len(found.texts)


def test_adversarial_calibration_is_another_run_that_records_what_it_added(tiny_model_dir, data):
    plain = pipeline.prune(PruneConfig("krp", 0.5, calibration=16, heldout=8), tiny_model_dir, data, "cpu", KEEP)
    config = PruneConfig("krp", 0.5, calibration=16, heldout=8, calibration_adversarial=6,
                         adversarial_recipes=("textbugger",))
    robust = pipeline.prune(config, tiny_model_dir, data, "cpu", KEEP)
    assert robust.run_id != plain.run_id and plain.adversarial_calibration_texts == 0
    assert 0 < robust.adversarial_calibration_texts <= 6 and len(robust.adversarial_attack_run_ids) == 1
    assert "calibration_adversarial" not in plain.config  # a plain run keeps the key it had before the option


def planted_data(tmp_path):
    """Training and test texts for the planted model (tests/attack/planted.py): "terrible" sentences, all positive
    for the model, which one synonym ("awful") flips."""
    from tests.attack.planted import TEXTS

    rows = [{"text": f"{text} {tail}", "label": 1} for text in TEXTS[:4]
            for tail in ("indeed", "again", "today", "for sure", "in the end", "all along", "so far", "at last")]
    rows += [{"text": f"an awful {noun}", "label": 0} for noun in ("film", "movie", "plot", "story")]
    path = tmp_path / "planted.csv"
    pd.DataFrame(rows * 6).to_csv(path, index=False)  # 216 rows: enough test texts to measure (>= 20)
    return str(path)


def last_layer_error(dense, sparse, tokenizer, texts: list[str]) -> float:
    """‖h_dense − h_sparse‖² / ‖h_dense‖² of the last encoder layer's states on ``texts``."""
    from robustprune.evaluate import tokenize

    with torch.no_grad():
        inputs = tokenize(tokenizer, texts, 32, torch.device("cpu"))
        mask = inputs["attention_mask"].unsqueeze(-1).float()
        a = adapter.hidden_states(dense, inputs)[-1] * mask
        b = adapter.hidden_states(sparse, inputs)[-1] * mask
    return float(((a - b) ** 2).sum() / (a ** 2).sum())


def test_adversarial_calibration_lowers_the_error_on_adversarial_inputs(tmp_path, tokenizer):
    """On a model whose dense adversarial behaviour differs from its clean behaviour (a trigger word the clean
    texts never contain), pruning calibrated on clean texts alone may lean on what clean inputs never vary; with
    the adversarial texts in the calibration set, the sparse model follows the dense one on them more closely."""
    from tests.attack.planted import planted_classifier
    from tests.conftest import save_model_folder

    folder = tmp_path / "planted"
    model = planted_classifier(tokenizer)
    torch.manual_seed(3)
    with torch.no_grad():  # give every encoder Linear dense weights, so that pruning them has a cost
        for block in model.bert.encoder.layer:
            for linear in (block.intermediate.dense, block.output.dense):
                linear.weight.normal_(0.0, 0.3)
    save_model_folder(model, tokenizer, folder)
    data = load_task_data(planted_data(tmp_path), max_length=32)
    common = dict(calibration=24, heldout=8, adversarial_recipes=("textfooler",))
    plain = pipeline.prune(PruneConfig("krp", 0.5, **common), str(folder), data, "cpu", KEEP)
    robust = pipeline.prune(PruneConfig("krp", 0.5, calibration_adversarial=24, **common), str(folder), data, "cpu",
                            KEEP)
    assert robust.adversarial_calibration_flipped > 0
    from robustprune.attack.records import AttackResult

    store = RunStore()
    adversarial = [example.perturbed_text for run_id in robust.adversarial_attack_run_ids
                   for example in AttackResult.load(store.require(run_id).directory / "attack").examples
                   if example.result == "succeeded"]
    dense, _ = pipeline.load_dense(plain.dense_run_id, "cpu")
    errors = {name: last_layer_error(dense, pipeline.load_pruned(run.run_id, "cpu")[0], tokenizer, adversarial)
              for name, run in (("plain", plain), ("robust", robust))}
    assert errors["robust"] < errors["plain"], errors
