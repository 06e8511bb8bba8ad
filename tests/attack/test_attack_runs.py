"""Attack runs through the store and the CLI: JSON contract, cache, table, clear errors."""

import json

import pandas as pd
import pytest
from planted import LABELS, TEXTS, planted_classifier

from robustprune.cli import main
from robustprune.store import RunStore

ATTACK_FIELDS = {"recipe", "resources", "n", "clean_accuracy", "accuracy_under_attack", "attack_success_rate",
                 "avg_queries", "avg_perturbed_words", "seconds", "examples"}
EXAMPLE_FIELDS = {"original", "perturbed", "changed_words", "dense", "sparse", "result"}


@pytest.fixture
def planted_dir(tmp_path, tokenizer):
    folder = tmp_path / "planted"
    planted_classifier(tokenizer).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder)


@pytest.fixture
def planted_csv(tmp_path):
    path = tmp_path / "planted.csv"
    texts, labels = TEXTS[:4] + ["an awful film"], LABELS[:4] + [0]  # the model gets all five right
    pd.DataFrame({"text": texts * 40, "label": labels * 40}).to_csv(path, index=False)  # 20 test texts, the least
    return str(path)


def cli_json(capsys, *argv):
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_attack_a_pruning_run_then_the_cache(capsys, planted_dir, planted_csv):
    common = ["--model", planted_dir, "--dataset", planted_csv, "--epochs", "0", "--device", "cpu"]
    pruned = cli_json(capsys, "prune", "--method", "magnitude", "--sparsity", "0.3", "--calibration", "8",
                      "--heldout", "4", *common)
    attack_argv = ["attack", "--run", pruned["run_id"], "--recipe", "textfooler", "-n", "3", *common[:4]]
    first = cli_json(capsys, *attack_argv)
    assert ATTACK_FIELDS <= set(first) and first["n"] == 3 and first["cached"] is False
    assert "sentence encoder: MiniLM" in first["resources"]
    assert first["accuracy_under_attack"] <= first["clean_accuracy"]
    assert all(EXAMPLE_FIELDS <= set(example) for example in first["examples"])
    assert any(example["result"] == "succeeded" and "awful" in example["perturbed"] for example in first["examples"])
    second = cli_json(capsys, *attack_argv)
    assert second["cached"] is True and second["examples"] == first["examples"]
    kinds = {run["kind"] for run in cli_json(capsys, "runs")["runs"]}
    assert kinds == {"finetune", "prune", "attack"}


def test_attack_a_structured_run(capsys, planted_dir, planted_csv):
    """A structured run is a smaller model (heads and neurons removed): attacked like any pruning run, with
    its x on the trade-off the fraction of FLOPs removed."""
    common = ["--model", planted_dir, "--dataset", planted_csv, "--epochs", "0", "--device", "cpu"]
    pruned = cli_json(capsys, "prune", "--method", "structured-magnitude", "--flops-reduction", "0.3", *common)
    attacked = cli_json(capsys, "attack", "--run", pruned["run_id"], "--recipe", "textbugger", "-n", "3",
                        *common[:4])
    assert attacked["n"] == 3 and attacked["accuracy_under_attack"] <= attacked["clean_accuracy"]
    assert attacked["method"] == "structured-magnitude"
    assert attacked["sparsity"] == pytest.approx(1 - pruned["flops_after"] / pruned["flops_before"])
    assert all({"dense", "sparse"} <= set(example) for example in attacked["examples"])


def test_table_writes_markdown_and_csv(capsys, planted_dir, planted_csv, tmp_path):
    csv = tmp_path / "table.csv"
    assert main(["table", "--methods", "magnitude", "--sparsities", "0.3,2:4", "--recipes", "textbugger", "-n", "2",
                 "--model", planted_dir, "--dataset", planted_csv, "--csv", str(csv), "--device", "cpu",
                 "--calibration", "8", "--heldout", "4", "--epochs", "0"]) == 0
    markdown = capsys.readouterr().out
    assert "accuracy_under_attack" in markdown and "| dense" in markdown
    frame = pd.read_csv(csv)
    assert list(frame["method"]) == ["dense", "magnitude", "magnitude 2:4"] and set(frame["recipe"]) == {"textbugger"}
    assert list(frame["sparsity"]) == [0.0, 0.3, 0.5]  # an N:M row of its own, at N/M
    assert (frame["succeeded"] + frame["failed"] + frame["skipped"] == frame["attacked"]).all()
    assert (frame["attacked"] == 2).all() and (frame["accuracy_under_attack"] <= frame["clean_accuracy"]).all()


@pytest.mark.parametrize("argv, message", [
    (["attack", "--dense", "--recipe", "deepwordbug"], "deepwordbug"),
    (["attack", "--run", "prune-000000000000", "--recipe", "textfooler"], "no cached run 'prune-000000000000'"),
    (["attack", "--dense", "--recipe", "textfooler", "--word-vectors", "/no/such/vectors.txt"], "/no/such/vectors.txt"),
])
def test_bad_attack_arguments(capsys, argv, message):
    assert main(argv) == 2
    error = capsys.readouterr().err.strip()
    assert message in error and len(error.splitlines()) == 1
    assert RunStore().list(kind="attack") == []
