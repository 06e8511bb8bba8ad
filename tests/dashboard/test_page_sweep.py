"""The Sweep page: pick a grid, see what is cached, start it as one job, watch its runs, read the table."""

import pytest

from robustprune.jobs import JobQueue
from tests.dashboard.conftest import open_page, texts

GRID = {"methods": "magnitude", "sparsities": "50.0", "recipes": "textbugger", "examples": "2", "calibration": "16"}


def sweep_page(workspace, **extra):
    return open_page("pages/sweep.py", model=workspace.model_name, dataset=workspace.csv_name, **{**GRID, **extra})


def test_a_grid_is_one_job_and_its_table_fills_in(home, workspace):
    app = sweep_page(workspace)
    assert not app.exception and not app.error
    [estimate] = [text for text in texts(app.info) if "table rows" in text]
    assert estimate.startswith("2 table rows from 4 runs: 1 of 4 runs cached")  # the dense start is cached
    # no magnitude run and no TextBugger attack of this model yet: nothing to estimate the three others from
    assert estimate.endswith("3 to compute (not estimated: no past run of the same kind with this model on this "
                             "device).")
    table = app.dataframe[-1].value
    assert list(table["method"]) == ["dense", "magnitude"] and table["accuracy_under_attack"].isna().all()

    app.button(key="start-sweep").click().run()
    queue = JobQueue()
    [job] = [job for job in queue.list() if job.kind == "sweep"]
    assert job.status == "queued" and job.params["spec"]["methods"] == ["magnitude"]
    assert queue.work(once=True) == 1 and queue.get(job.job_id).status == "done"
    statuses = sorted(cell.status for cell in queue.cells(job.job_id))
    assert statuses == ["cached", "done", "done", "done"]

    app = sweep_page(workspace)
    assert texts(app.success) == ["2 table rows from 4 runs: all 4 runs are cached."]  # one line, no Start button
    assert not [button for button in app.button if button.key == "start-sweep"]
    table = app.dataframe[-1].value
    assert (table["attacked"] == 2).all() and not table["accuracy_under_attack"].isna().any()
    # the store's history is read again now that it changed: magnitude and TextBugger have past runs to go by
    [estimate] = [text for text in texts(sweep_page(workspace, sparsities="70.0").info) if "table rows" in text]
    assert "not estimated" not in estimate and "to compute, about" in estimate, estimate


def test_the_page_refreshes_only_while_its_sweep_runs(home, workspace, auto_reruns):
    """The sweep's panel was a fragment rerun every 2 s from the moment the page opened, sweep or none."""
    app = sweep_page(workspace)
    assert not app.exception and auto_reruns == []  # nothing started: nothing to refresh
    app.button(key="start-sweep").click().run()
    assert not app.exception
    assert [bar for bar in app.get("progress") if "sweep" in bar.proto.text.lower()], "no running sweep's panel"
    # the running sweep's panel and the sidebar's job list refresh, every 2 s
    assert len({fragment for fragment, _ in auto_reruns}) == 2 and {seconds for _, seconds in auto_reruns} == {2.0}

    queue = JobQueue()
    [job] = [job for job in queue.list() if job.kind == "sweep"]
    queue.claim(worker_pid=1)
    queue.finish(job.job_id, error="RobustPruneError: planted failure")
    auto_reruns.clear()
    app = sweep_page(workspace)  # a failed sweep says why and offers a Retry, and does not refresh
    assert not app.exception and auto_reruns == []
    assert any("planted failure" in text for text in texts(app.error))
    app.button(key="retry-sweep").click().run()
    assert queue.get(job.job_id).status == "queued" and len({fragment for fragment, _ in auto_reruns}) == 2

    assert queue.work(once=True) == 1 and queue.get(job.job_id).status == "done"
    auto_reruns.clear()
    app = sweep_page(workspace)
    assert not app.exception and auto_reruns == []  # finished: nothing refreshes


def test_a_grid_that_cannot_work_says_why(home, workspace):
    app = sweep_page(workspace, examples="5000")
    assert not app.exception
    assert any("5000 examples per attack asked for" in text for text in texts(app.error))


@pytest.mark.parametrize("emptied, message", [
    ({"starts": ""}, "a sweep needs at least one dense start"),
    ({"sparsities": ""}, "magnitude needs at least one sparsity"),
])
def test_a_grid_with_an_empty_axis_is_an_error_not_an_empty_success(home, workspace, emptied, message):
    """With no dense start the page said "0 table rows from 0 runs: all 0 runs are cached"; with no sparsity the
    methods were dropped without a word and the dense attacks offered as the sweep."""
    app = sweep_page(workspace, **emptied)
    assert not app.exception
    assert any(message in text for text in texts(app.error)), texts(app.error)
    assert not app.success and "start-sweep" not in [button.key for button in app.button]
