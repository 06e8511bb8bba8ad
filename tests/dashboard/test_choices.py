"""Choices offered by the pages, and what is wrong with a bad one."""

import pytest

from robustprune.dashboard.choices import DataChoice, model_problem, pruning_methods, sparsity_fraction


def test_paper_levels_are_exact_fractions():
    assert [sparsity_fraction(percent) for percent in (30, 50, 70, 87.5)] == [0.3, 0.5, 0.7, 0.875]


def test_krp_is_offered_first():
    assert pruning_methods()[:2] == ["krp", "sparsegpt"]


@pytest.mark.parametrize("name, level, message", [
    ("", "error", "choose a model"),
    ("/no/such/dir", "error", "is not one the dashboard opens"),
    ("bert-base-uncased", "warning", "Hugging Face hub"),
    ("someone/some-model", "warning", "neither registered"),
])
def test_model_problems(name, level, message):
    found_level, found_message = model_problem(name)
    assert found_level == level and message in found_message


def test_good_models(tiny_model_dir, monkeypatch):
    from pathlib import Path

    monkeypatch.setenv("ROBUSTPRUNE_DATA_DIR", str(Path(tiny_model_dir).parent))
    assert model_problem("minilm") is None and model_problem(Path(tiny_model_dir).name) is None


def test_a_folder_without_a_model(tmp_path, monkeypatch):
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("ROBUSTPRUNE_DATA_DIR", str(tmp_path))
    assert "has no config.json" in model_problem("empty")[1]


def test_local_file_choices(tmp_path, monkeypatch):
    (tmp_path / "reviews.csv").write_text("review,stars\n")
    monkeypatch.setenv("ROBUSTPRUNE_DATA_DIR", str(tmp_path))
    choice = DataChoice("reviews.csv", "review", "stars")
    assert choice.is_file
    assert choice.url_fields() == {"dataset": "reviews.csv", "text_column": "review", "label_column": "stars"}
    assert choice.job_fields() == {"dataset": str(tmp_path.resolve() / "reviews.csv"), "text_column": "review",
                                   "label_column": "stars"}  # the worker gets the file's path
    assert not DataChoice("rotten_tomatoes").is_file
