"""How the pages describe jobs, and when they start a worker."""

from robustprune.dashboard import job_progress
from robustprune.jobs import Job


def job(kind: str, params: dict, status: str = "running", stage: str | None = "prune", done: int = 3,
        total: int = 24) -> Job:
    return Job("job-1", kind, params, status, stage, done, total, None, None, None, 0.0, 0.0)


def test_running_jobs_say_where_they_are():
    prune = job("prune", {"model": "minilm", "prune": {"method": "krp", "sparsity": 0.5}})
    assert job_progress.describe_job(prune) == "Pruning minilm with krp at 50.0%: prune, 3 / 24 layer groups"
    attack = job("attack", {"target": "prune-abc", "attack": {"recipe": "textfooler"}}, stage="attack", done=4,
                 total=10)
    assert job_progress.describe_job(attack) == "Attack: textfooler on prune-abc: attack, 4 / 10 examples"
    assert "queued, waiting for the worker" in job_progress.describe_job(job("finetune", {}, status="queued"))


def test_no_automatic_worker_when_switched_off(empty_home):
    assert not job_progress.autoworker_enabled()
    assert job_progress.start_worker_if_allowed() is None
    assert "robustprune worker" in job_progress.worker_line()
