"""Pooled states and their 2-D projection."""

import numpy as np
import pytest

from robustprune.dashboard import embeddings
from tests.dashboard.conftest import constructed_attack_result


def test_pca_keeps_the_two_largest_directions():
    rng = np.random.default_rng(0)
    points = rng.normal(size=(50, 3)) * np.array([10.0, 3.0, 0.01])
    coordinates, explained = embeddings.pca_2d(points)
    assert coordinates.shape == (50, 2) and explained > 0.999
    assert np.std(coordinates[:, 0]) == pytest.approx(np.std(points[:, 0]), rel=0.05)


def test_layer_states_pool_every_layer(tiny_model, tokenizer):
    texts = ["a fine film", "a dull and overlong film"]
    mean = embeddings.layer_states(tiny_model, tokenizer, texts, 16, "mean")
    cls = embeddings.layer_states(tiny_model, tokenizer, texts, 16, "cls")
    assert mean.shape == cls.shape == (4, 2, 64)  # embeddings + 3 blocks
    assert not np.allclose(mean, cls)


def test_similarity_summary_per_model_and_layer():
    summary = embeddings.similarity_by_layer(constructed_attack_result(), "cosine_mean")
    sparse = summary[summary["model"] == "sparse"]
    assert list(sparse["mean"]) == pytest.approx([1.0, 0.9, 0.8, 0.7]) and set(summary["count"]) == {2}
