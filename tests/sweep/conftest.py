"""A tiny grid on a tiny model: what the sweep tests run, locally and on Ray."""

from __future__ import annotations

import pytest

from robustprune.sweep import SweepSpec


def tiny_spec(model_dir: str, csv: str, **overrides) -> SweepSpec:
    fields = dict(model=model_dir, dataset=csv, text_column="review", label_column="sentiment",
                  methods=("magnitude", "krp"), sparsities=(0.5,), recipes=("textbugger",), num_examples=4,
                  calibration=8, heldout=4, finetune={"epochs": 0}, attack={"max_length": 64, "word_vectors": "wordnet"}, device="cpu")
    return SweepSpec(**{**fields, **overrides})


@pytest.fixture
def spec(tiny_model_dir, tiny_csv):
    return tiny_spec(tiny_model_dir, str(tiny_csv))
