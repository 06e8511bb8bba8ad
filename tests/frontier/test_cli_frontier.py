"""``robustprune frontier``: one-line refusals before any work, and a real search on a tiny model, cached."""

from __future__ import annotations

import json

import pytest

from robustprune.cli import main
from robustprune.store import RunStore


def tiny_argv(model_dir, csv, *extra):
    return ["frontier", "--model", str(model_dir), "--dataset", str(csv), "--text-column", "review",
            "--label-column", "sentiment", "--calibration", "8", "--heldout", "4", "--epochs", "0",
            "--word-vectors", "wordnet", "--device", "cpu", *extra]


@pytest.mark.parametrize("extra, message", [
    (["--method", "krp", "--recipe", "textbugger", "--margin", "-1"], "--margin must be in [0, 100) percentage points"),
    (["--method", "krp", "--recipe", "textbugger", "--margin", "100"], "--margin must be in [0, 100)"),
    (["--method", "krp", "--recipe", "textbugger", "--resolution", "0"], "--resolution must be above 0"),
    (["--method", "krp", "--recipe", "textbugger", "--resolution", "0.2"],
     "below the smallest gap between the levels (0.175)"),
    (["--method", "krp", "--recipe", "textbugger", "-n", "100000"], "ask for at most"),
    (["--method", "kprune", "--recipe", "textbugger"], "kprune prunes structures to a FLOPs budget, not to a sparsity"),
    (["--method", "krp", "--recipe", "bert-attack"], "bert-attack needs a masked language model"),
    (["--method", "krp", "--recipe", "nonsense"], "unknown attack recipe 'nonsense'"),
    (["--method", "krp", "--recipe", "textbugger", "--levels", "0.7,0.3"], "--levels must be increasing"),
    (["--recipe", "textbugger"], "frontier needs a method: --method krp"),
    (["--method", "krp", "--recipe", "textbugger", "--html", "/nonexistent/dir/f.html"],
     "folder '/nonexistent/dir' does not exist"),
])
def test_bad_input_fails_in_one_line_and_computes_nothing(capsys, tiny_model_dir, tiny_csv, extra, message):
    assert main(tiny_argv(tiny_model_dir, tiny_csv, *extra)) == 2
    error = capsys.readouterr().err.strip()
    assert message in error and len(error.splitlines()) == 1, error
    assert RunStore().list() == []


def test_a_frontier_is_cached_runs_and_a_second_request_computes_nothing(capsys, tiny_model_dir, tiny_csv, tmp_path):
    html = tmp_path / "frontier.html"
    argv = tiny_argv(tiny_model_dir, tiny_csv, "--method", "magnitude,krp", "--recipe", "textbugger", "-n", "6",
                     "--levels", "0.3,0.7", "--resolution", "0.2", "--json", "--html", str(html))
    assert main(argv) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["computed"] > 0 and not first["failed"]
    assert [frontier["method"] for frontier in first["frontiers"]] == ["magnitude", "krp"]
    for frontier, line in zip(first["frontiers"], first["lines"]):
        assert line.startswith(f"{frontier['method']}, textbugger, n = 6: ")
        # the tiny random model answers one class: the comparisons are said to be about a collapsed dense start
        assert frontier["dense_collapsed"] == ("dense start itself collapsed" in line)
        if frontier["dense_collapsed"]:  # nothing to locate: the levels only, no bisection
            assert [probe["sparsity"] for probe in frontier["probes"]] == [0.3, 0.7]
        probed = [probe["sparsity"] for probe in frontier["probes"]]
        assert {0.3, 0.7} <= set(probed) and len(probed) <= 4  # the levels, and at most one midpoint per boundary
        assert probed == sorted(probed)
        for probe in frontier["probes"]:
            assert probe["attack"]["verdict"] in ("kept", "lost", "undecided")
            assert probe["attack"]["difference_low"] <= probe["attack"]["difference"] <= probe["attack"][
                "difference_high"]
    store = RunStore()
    assert {run.kind for run in store.list()} >= {"finetune", "prune", "attack"}
    runs_before = len(store.list())
    assert main(argv) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["computed"] == 0 and second["lines"] == first["lines"] and len(store.list()) == runs_before
    assert second["run_id"] == first["run_id"]
    page = html.read_text()
    assert all(line.split(":")[0] in page for line in first["lines"]) and page.count('class="figure"') == 2
    # the same question as a job (what the Frontier page submits): the stored answer, nothing computed
    from robustprune.cli import apply_preset, build_parser
    from robustprune.cli.frontier import frontier_request
    from robustprune.frontier.run import load_frontier
    from robustprune.jobs import JobQueue

    args = build_parser().parse_args(argv)
    apply_preset(args)
    request = frontier_request(args)
    queue = JobQueue(store)
    job = queue.submit(request.kind, request.to_dict())
    assert queue.work(once=True) == 1
    done = queue.get(job.job_id)
    assert done.status == "done" and done.run_id == first["run_id"] == request.run_id()
    assert [answer.line() for answer in load_frontier(store.require(done.run_id))] == first["lines"]
    assert len(store.list()) == runs_before
