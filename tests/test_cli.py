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
    (["table", "--sparsities", "0.5,half"], "--sparsities: 'half' is neither a fraction (e.g. 0.5) nor an N:M"),
    (["sweep", "--dry-run", "--device", "gpu"], "unknown device 'gpu'"),
    (["prune", "--method", "kprune", "--sparsity", "0.9"],
     "--sparsity does not apply to kprune (structured pruning); its budget is --flops-reduction"),
    (["prune", "--method", "kprune", "--pattern", "2:4", "--refit-head"], "--pattern, --refit-head do not apply"),
    (["prune", "--method", "krp", "--flops-reduction", "0.3"],
     "--flops-reduction does not apply to krp (unstructured pruning); its budget is --sparsity or --pattern"),
    (["runs", "--kind", "prunes"], "unknown kind 'prunes'; use one of finetune, soup, prune"),
    (["sweep", "--methods", "magnitude", "--sparsities", "0.5", "--csv", "/nonexistent/dir/t.csv"],
     "folder '/nonexistent/dir' does not exist"),  # before the dense model is fine-tuned, not after every run
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



def tiny_prune_argv(model_dir, csv, *extra):
    return ["prune", "--method", "krp", "--model", str(model_dir), "--dataset", str(csv), "--text-column", "review",
            "--label-column", "sentiment", "--calibration", "16", "--heldout", "8", "--epochs", "0.25",
            "--device", "cpu", *extra]


def test_a_truncated_weight_file_is_detected_and_recomputed(capsys, tiny_model_dir, tiny_csv):
    from robustprune.pipeline import load_pruned

    first = cli_json(capsys, *tiny_prune_argv(tiny_model_dir, tiny_csv))
    weights = RunStore().directory(first["run_id"]) / "weights.safetensors"
    weights.write_bytes(weights.read_bytes()[:weights.stat().st_size // 2])

    assert main(["runs"]) == 0
    listed = [line for line in capsys.readouterr().out.splitlines() if line.startswith(first["run_id"])]
    assert len(listed) == 1 and "DAMAGED (weights.safetensors has" in listed[0]

    assert main(["attack", "--run", first["run_id"], "--recipe", "textbugger", "-n", "2"]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and f"cached run {first['run_id']} is damaged" in error

    assert main([*tiny_prune_argv(tiny_model_dir, tiny_csv), "--json"]) == 0
    captured = capsys.readouterr()
    again = json.loads(captured.out)
    assert again["cached"] is False and again["run_id"] == first["run_id"]  # computed again, same key
    warnings = [line for line in captured.err.splitlines() if line.startswith("robustprune: warning:")]
    assert len(warnings) == 1 and f"cached run {first['run_id']} is damaged" in warnings[0]
    assert again["sparsity"] == pytest.approx(first["sparsity"])
    load_pruned(first["run_id"], "cpu")  # the replaced folder loads
    assert RunStore().damage(first["run_id"]) is None


def test_two_identical_prunes_at_once_compute_once(tiny_model_dir, tiny_csv, tmp_path):
    import os
    import subprocess
    import sys

    argv = tiny_prune_argv(tiny_model_dir, tiny_csv, "--json")
    argv[argv.index("--epochs") + 1] = "3"  # a few seconds of fine-tuning: the two overlap
    processes = [subprocess.Popen([sys.executable, "-m", "robustprune.cli", *argv], stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, env=os.environ.copy()) for _ in range(2)]
    results = [json.loads(process.communicate(timeout=600)[0]) for process in processes]
    assert [process.returncode for process in processes] == [0, 0]
    assert results[0]["run_id"] == results[1]["run_id"]
    assert sorted(result["cached"] for result in results) == [False, True]  # one computed, one waited and reused
    assert [r.kind for r in RunStore().list()].count("finetune") == 1


def test_runs_name_an_nm_run_by_its_pattern(capsys, tiny_model_dir, tiny_csv):
    unstructured = cli_json(capsys, *tiny_prune_argv(tiny_model_dir, tiny_csv))
    two_four = cli_json(capsys, *tiny_prune_argv(tiny_model_dir, tiny_csv, "--pattern", "2:4"))
    assert main(["runs", "--kind", "prune"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()}
    assert " krp 2:4 " in lines[two_four["run_id"]] and " krp 2:4 " not in lines[unstructured["run_id"]]
