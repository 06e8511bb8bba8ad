"""A page's request names the run the pipeline writes, without computing anything."""

from robustprune.dashboard.choices import DataChoice
from robustprune.dashboard.requests import dense_request, prune_request
from robustprune.data import load_task_data
from robustprune.jobs import JobQueue
from robustprune.prune import PruneConfig
from robustprune.store import RunStore
from tests.dashboard.conftest import TINY_PRUNE


def test_run_ids_match_the_pipeline(home, workspace):
    data = load_task_data(workspace.csv)
    choice = DataChoice(workspace.csv)
    assert dense_request(workspace.model_dir, choice).run_id(data) == workspace.dense_run_id
    request = prune_request(workspace.model_dir, choice, PruneConfig("krp", 0.5, **TINY_PRUNE))
    assert request.run_id(data) == workspace.krp_run_id


def test_the_job_of_a_request_writes_the_run_it_names(home, workspace):
    data = load_task_data(workspace.csv)
    request = prune_request(workspace.model_dir, DataChoice(workspace.csv), PruneConfig("magnitude", 0.3, **TINY_PRUNE))
    queue = JobQueue()
    job = queue.submit_request(request)
    queue.work(once=True)
    assert queue.get(job.job_id).run_id == request.run_id(data)


def test_the_run_id_is_known_before_the_dense_model_exists(empty_home, workspace):
    """Computed from the keys, not looked up: the page finds nothing cached under it and offers the job."""
    request = prune_request(workspace.model_dir, DataChoice(workspace.csv), PruneConfig("krp", 0.5))
    run_id = request.run_id(load_task_data(workspace.csv))
    assert run_id.startswith("prune-") and RunStore().get(run_id) is None


def test_too_many_calibration_texts_is_a_problem(home, workspace):
    data = load_task_data(workspace.csv)
    request = prune_request(workspace.model_dir, DataChoice(workspace.csv), PruneConfig("krp", 0.5, calibration=500))
    assert "exceed the 230 training texts" in request.problem(data)


def test_a_soup_started_request_names_the_runs_its_job_writes(home, workspace):
    """Soup and pruning run ids computed without computing match what the job writes (4 tiny fine-tunes)."""
    data = load_task_data(workspace.csv)
    request = prune_request(workspace.model_dir, DataChoice(workspace.csv), PruneConfig("magnitude", 0.5, **TINY_PRUNE),
                            dense_start="soup")
    assert request.kind == "prune" and request.dense.kind == "soup"
    store = RunStore()
    assert store.get(request.dense.run_id(data)) is None  # the soup is not built yet
    queue = JobQueue()
    job = queue.submit_request(request)
    queue.work(once=True)
    assert store.get(request.dense.run_id(data)).kind == "soup"
    assert queue.get(job.job_id).run_id == request.run_id(data)
    assert store.require(request.run_id(data)).summary["dense_start"] == "soup"


def test_a_structured_request_names_the_run_its_job_writes(home, workspace):
    from robustprune.dashboard.requests import structured_request
    from robustprune.structured import KPruneConfig

    data = load_task_data(workspace.csv)
    request = structured_request(workspace.model_dir, DataChoice(workspace.csv), "kprune",
                                 KPruneConfig(0.3, sample_tokens=256))
    queue = JobQueue()
    job = queue.submit_request(request)
    queue.work(once=True)
    finished = queue.get(job.job_id)
    assert finished.status == "done" and finished.run_id == request.run_id(data)
    record = RunStore().require(finished.run_id)
    assert (record.kind, record.method, record.parent) == ("structured", "kprune", workspace.dense_run_id)
