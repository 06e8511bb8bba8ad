"""The command line contract: JSON fields, one-line errors, nothing cached on bad input."""

import json
from contextlib import nullcontext

import pytest

from robustprune.cli import main
from robustprune.store import RunStore

PRUNE_FIELDS = {"run_id", "method", "target_sparsity", "sparsity", "accuracy_dense", "accuracy_sparse",
                "prune_seconds", "cached", "layers"}
LAYER_FIELDS = {"name", "sparsity", "reconstruction_error_local", "reconstruction_error_e2e"}


def cli_json(capsys, *argv):
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_prune_json_contract_and_cache(capsys, tiny_model_dir, tiny_csv):
    argv = ["prune", "--method", "sparsegpt", "--sparsity", "0.4", "--model", tiny_model_dir,
            "--dataset", str(tiny_csv), "--text-column", "review", "--label-column", "sentiment",
            "--calibration", "16", "--heldout", "8", "--epochs", "0.25", "--device", "cpu"]
    first = cli_json(capsys, *argv)
    assert PRUNE_FIELDS <= set(first) and first["cached"] is False
    assert all(LAYER_FIELDS <= set(layer) for layer in first["layers"])
    assert first["sparsity"] == pytest.approx(0.4, abs=1e-3)
    second = cli_json(capsys, *argv)
    assert second["cached"] is True and second["run_id"] == first["run_id"]
    assert second["layers"] == first["layers"]
    listed = cli_json(capsys, "runs")
    assert {run["kind"] for run in listed["runs"]} == {"finetune", "prune"}


@pytest.mark.parametrize("argv, message", [
    (["prune", "--method", "nonsense"], "invalid choice: 'nonsense'"),
    (["prune", "--method", "krp", "--sparsity", "1.5"], "sparsity 1.5 is out of range"),
    (["prune", "--method", "krp", "--dataset", "no_such_set"], "unknown dataset 'no_such_set'"),
    (["prune", "--method", "krp", "--dataset", "missing.csv"], "does not exist"),
    (["prune", "--method", "krp", "--pattern", "4:2"], "pattern '4:2' needs 0 < N < M"),
    (["prune", "--method", "krp", "--device", "tpu"], "unknown device 'tpu'"),
])
def test_bad_arguments_fail_in_one_line_and_cache_nothing(capsys, argv, message):
    with pytest.raises(SystemExit) if "invalid choice" in message else nullcontext():  # argparse exits itself
        assert main(argv) == 2
    error = capsys.readouterr().err.strip()
    assert message in error and len(error.splitlines()) == 1
    assert RunStore().list() == []


def test_unknown_hub_model_offline_names_what_works(capsys, tiny_csv):
    code = main(["finetune", "--model", "no-such-org/no-such-model", "--dataset", str(tiny_csv),
                 "--text-column", "review", "--label-column", "sentiment"])
    error = capsys.readouterr().err
    assert code == 2 and "minilm" in error and "hub" in error

