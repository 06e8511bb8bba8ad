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


def cached_run(kind: str, summary: dict, **columns) -> str:
    """A run of this kind in the store with only its summary (no model files): enough for listings and lookups."""
    with RunStore().write(kind, {"summary": summary, **columns}, **columns) as writer:
        writer.summary.update(summary)
    return writer.directory.name


def test_runs_columns_line_up_for_ids_and_datasets_of_any_length(capsys):
    assert main(["runs"]) == 0 and "no cached runs yet" in capsys.readouterr().out
    dense = cached_run("finetune", {"accuracy": 0.8}, model="minilm", dataset="rotten_tomatoes", method="dense")
    explained = cached_run("attribution", {"attack_run_id": "attack-0", "example": 3}, model="minilm",
                           dataset="texts:pasted (2 texts, f12da590bc72ae65)", method="krp", parent=dense)
    assert len(explained) > 22 and len(dense) < 22  # longer and shorter than the id column used to be
    assert main(["runs"]) == 0
    lines = capsys.readouterr().out.splitlines()
    dense_line, explained_line = sorted(lines, key=lambda line: not line.startswith(dense))
    for dense_word, explained_word in (("finetune", "attribution"), ("minilm", "minilm"),
                                       ("rotten_tomatoes", "texts:pasted"), ("dense", "krp"),
                                       ("accuracy 80.0%", "example 3 of attack-0")):
        assert dense_line.index(f" {dense_word}") == explained_line.index(f" {explained_word}"), lines


def test_attack_of_an_unknown_or_derived_run_suggests_only_runs_that_can_be_attacked(capsys):
    dense = cached_run("finetune", {"accuracy": 0.8}, model="minilm", dataset="rotten_tomatoes", method="dense")
    pruned = cached_run("prune", {"sparsity": 0.5, "accuracy_sparse": 0.7}, model="minilm",
                        dataset="rotten_tomatoes", method="krp", parent=dense)
    derived = [cached_run(kind, {"attack_run_id": "attack-0"}, model="minilm", dataset="rotten_tomatoes",
                          method="krp", parent=pruned) for kind in ("attack", "attribution", "layer-auc", "projection")]
    for run_id, problem in (("nosuch-run", "no cached run 'nosuch-run'"),
                            (derived[2], f"run '{derived[2]}' is of kind 'layer-auc', which cannot be attacked")):
        assert main(["attack", "--run", run_id, "--recipe", "textbugger"]) == 2
        error = capsys.readouterr().err.strip()
        assert len(error.splitlines()) == 1 and problem in error
        suggested = error.split("e.g. ")[1].split(", ")
        assert sorted(suggested) == sorted([dense, pruned])
    assert main(["attack", "--run", pruned[:-1], "--recipe", "textbugger"]) == 2
    assert f"e.g. {pruned}, " in capsys.readouterr().err  # a typo's closest match first


def test_a_closed_stdout_ends_quietly():
    """`robustprune runs | head`: the reader went away; no traceback, exit code 1 (the Python docs' recipe)."""
    import os
    import subprocess
    import sys

    read_end, write_end = os.pipe()
    os.close(read_end)  # every write to the pipe fails with EPIPE
    try:
        finished = subprocess.run([sys.executable, "-m", "robustprune.cli", "models"], stdout=write_end,
                                  stderr=subprocess.PIPE, env=os.environ.copy(), timeout=120)
    finally:
        os.close(write_end)
    assert finished.stderr.decode() == "" and finished.returncode == 1


def test_the_worker_says_where_it_waits_and_stops_on_ctrl_c(isolated_cache):
    import os
    import select
    import signal
    import subprocess
    import sys

    # started as from a terminal, Ctrl-C at its default: a test run started in the background (``cmd &``, nohup)
    # ignores SIGINT, and a child inherits that; the worker rightly keeps to it
    worker = subprocess.Popen([sys.executable, "-m", "robustprune.cli", "worker"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=os.environ.copy(), text=True,
                              preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        ready, _, _ = select.select([worker.stdout], [], [], 120)
        first_line = worker.stdout.readline() if ready else ""
    finally:
        worker.send_signal(signal.SIGINT)
        try:
            rest, errors = worker.communicate(timeout=60)
        except subprocess.TimeoutExpired:  # say what it printed, and leave no worker behind
            worker.kill()
            rest, errors = worker.communicate()
            rest += "\n(still running 60 s after Ctrl-C: killed)"
    assert f"pid {worker.pid}" in first_line and str(isolated_cache) in first_line and "Ctrl-C" in first_line
    assert worker.returncode == 0 and "Traceback" not in errors and "stopped" in rest, (rest, errors[-3000:])


def test_the_readme_names_the_recipes_as_the_cli_does():
    import re
    from pathlib import Path

    from robustprune.attack.recipes import RECIPES
    from robustprune.cli import build_parser

    root = Path(__file__).parents[1]
    for page in ("README.md", "docs/attacks-offline.md"):  # the tour's line, and the page it links to
        text = (root / page).read_text(encoding="utf-8")
        sentence = re.search(r"`attack` runs TextAttack's own recipes \(([^)]*)\)", text).group(1)
        assert re.findall(r"`([^`]+)`", sentence) == list(RECIPES), page
    attack = build_parser()._subparsers._group_actions[0].choices["attack"]
    help_text = {action.dest: action.help for action in attack._actions}
    assert all(name in help_text["recipe"] for name in RECIPES)
    assert "stops" in help_text["mlm"] and "MiniLM head" not in help_text["mlm"]  # what offline without it does


def test_the_dashboards_worker_exits_after_the_app_has(isolated_cache):
    """``ensure_worker`` starts ``worker --parent <the app's pid>``: it waits while the app runs, and once the app
    has exited (a Ctrl-C on streamlit), with no job left, it exits too instead of polling forever."""
    import os
    import select
    import subprocess
    import sys
    import time

    app = subprocess.Popen(["sleep", "120"])
    worker = subprocess.Popen([sys.executable, "-m", "robustprune.cli", "worker", "--parent", str(app.pid)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ.copy(), text=True)
    try:
        ready, _, _ = select.select([worker.stdout], [], [], 120)
        first_line = worker.stdout.readline() if ready else ""
        time.sleep(1.5)
        assert worker.poll() is None  # its app is alive: it waits for jobs
    finally:
        app.kill()
        app.wait()
    rest, errors = worker.communicate(timeout=60)
    assert f"process {app.pid}" in first_line and worker.returncode == 0, errors[-2000:]
    assert "no job is left" in rest and "Traceback" not in errors
