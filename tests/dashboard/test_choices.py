"""Choices offered by the pages, and what is wrong with a bad one."""

import pytest

from robustprune.dashboard.choices import DataChoice, model_problem, pruning_methods, sparsity_fraction


def test_paper_levels_are_exact_fractions():
    assert [sparsity_fraction(percent) for percent in (30, 50, 70, 87.5)] == [0.3, 0.5, 0.7, 0.875]


def test_krp_is_offered_first():
    assert pruning_methods()[:2] == ["krp", "sparsegpt"]


@pytest.mark.parametrize("name, level, message", [
    ("", "error", "choose a model"),
    ("/no/such/dir", "error", "does not exist"),
    ("bert-base-uncased", "warning", "Hugging Face hub"),
    ("someone/some-model", "warning", "neither registered"),
])
def test_model_problems(name, level, message):
    found_level, found_message = model_problem(name)
    assert found_level == level and message in found_message


def test_good_models(tiny_model_dir):
    assert model_problem("minilm") is None and model_problem(tiny_model_dir) is None


def test_a_folder_without_a_model(tmp_path):
    assert "without a config.json" in model_problem(str(tmp_path))[1]


def test_local_file_choices():
    choice = DataChoice("/data/reviews.csv", "review", "stars")
    assert choice.is_file
    assert choice.job_fields() == {"dataset": "/data/reviews.csv", "text_column": "review", "label_column": "stars"}
    assert not DataChoice("rotten_tomatoes").is_file
