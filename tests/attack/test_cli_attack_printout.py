"""``robustprune attack``'s printout (no --json): the summary, then the examples, dense and sparse side by side."""

import json

import pandas as pd
import pytest
from planted import LABELS, TEXTS

from robustprune.cli import main
from robustprune.cli.attack_printout import WIDTH


@pytest.fixture
def pruned_run(capsys, planted_dir, tmp_path):
    """A magnitude-pruned planted model (it keeps the planted weakness: "terrible" -> "awful" flips it)."""
    data = tmp_path / "planted.csv"
    pd.DataFrame({"text": (TEXTS[:4] + ["an awful film"]) * 40, "label": (LABELS[:4] + [0]) * 40}).to_csv(data,
                                                                                                        index=False)
    assert main(["prune", "--method", "magnitude", "--sparsity", "0.3", "--calibration", "8", "--heldout", "4",
                 "--model", planted_dir, "--dataset", str(data), "--epochs", "0", "--device", "cpu", "--json"]) == 0
    return json.loads(capsys.readouterr().out)["run_id"]


def attack_printout(capsys, run_id, texts, *extra) -> list[str]:
    assert main(["attack", "--run", run_id, "--recipe", "textfooler", "--word-vectors", "wordnet", "--texts",
                 str(texts), "--device", "cpu", *extra]) == 0
    return capsys.readouterr().out.splitlines()


def test_the_printout_shows_the_examples_dense_and_sparse_and_whose_labels(capsys, pruned_run, tmp_path):
    texts = tmp_path / "mine.txt"
    texts.write_text("a terrible movie\nan absolutely terrible film\nthe plot was terrible\n")
    lines = attack_printout(capsys, pruned_run, texts, "--examples", "2")
    labels = [line for line in lines if line.strip().startswith("Labels")]
    assert labels == ["  Labels                           the dense model's predictions (mine.txt has no labels)"]

    table = lines[next(i for i, line in enumerate(lines) if line.startswith("  examples:")):]
    assert "(first 2 of 3)" in table[0] and table[1].split() == ["#", "outcome", "label", "dense", "sparse", "queries"]
    rows = [line for line in table if line.split()[0] in {"0", "1", "2"}]
    assert [row.split()[:2] for row in rows] == [["0", "succeeded"], ["1", "succeeded"]]  # the first 2 only
    for row in rows:  # label and confidence of each model, on the original -> on the perturbed text
        assert row.count(" -> ") == 2 and row.count("%") == 4, row
    assert "      a terrible movie" in table and "      changed: terrible -> awful" in table
    assert table[-2].startswith("  ... and 1 more: `--examples 3` prints them")
    assert "robustprune report --attack " in table[-1]
    assert all(len(line) <= WIDTH for line in table)

    summary_only = attack_printout(capsys, pruned_run, texts, "--examples", "0")
    assert summary_only[-1].startswith("  transfer sparse -> dense") and "terrible" not in "".join(summary_only)


def test_texts_with_labels_against_the_dense_model(capsys, pruned_run, tmp_path):
    """No word on the labels when the file has them; no sparse column when the dense model is attacked."""
    from robustprune.store import RunStore

    texts = tmp_path / "mine.csv"
    pd.DataFrame({"text": ["a terrible movie"], "label": [1]}).to_csv(texts, index=False)
    lines = attack_printout(capsys, RunStore().require(pruned_run).parent, texts)
    assert not [line for line in lines if "Labels" in line]
    table = lines[next(i for i, line in enumerate(lines) if line.startswith("  examples:")):]
    assert "(all 1)" in table[0] and table[1].split() == ["#", "outcome", "label", "dense", "queries"]
    assert table[2].split()[:2] == ["0", "succeeded"] and table[2].count(" -> ") == 1
