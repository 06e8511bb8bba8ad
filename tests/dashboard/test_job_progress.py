"""How the pages describe jobs, and when they start a worker."""

from robustprune.dashboard import job_progress
from robustprune.jobs import Job


def job(kind: str, params: dict, status: str = "running", stage: str | None = "prune", done: int = 3,
        total: int = 24) -> Job:
    return Job("job-1", kind, params, status, stage, done, total, None, None, None, 0.0, 0.0)


def test_running_jobs_say_where_they_are():
    from robustprune.attack.run import AttackConfig
    from robustprune.prune import PruneConfig
    from robustprune.requests import AttackRequest, DataRef, PruneRequest

    request = PruneRequest("minilm", DataRef("rotten_tomatoes"), PruneConfig("krp", 0.5), "soup")
    prune = job("prune", request.to_dict())
    assert job_progress.describe_job(prune) == ("Pruning minilm with krp at 50.0% from the soup: prune, 3 / 24 "
                                                "layer groups")
    attack = job("attack", AttackRequest("prune-abc", AttackConfig("textfooler")).to_dict(), stage="attack", done=4,
                 total=10)
    assert job_progress.describe_job(attack) == "Attack: textfooler on prune-abc: attack, 4 / 10 examples"
    queued = job("finetune", {"model": "minilm", "dataset": "rotten_tomatoes"}, status="queued")
    assert job_progress.describe_job(queued) == "Fine-tuning minilm on rotten_tomatoes: queued, waiting for the worker"
    assert job_progress.describe_job(job("gone-kind", {}, status="done")) == "gone-kind job: done"


def test_no_automatic_worker_when_switched_off(empty_home):
    assert not job_progress.autoworker_enabled()
    assert job_progress.start_worker_if_allowed() is None
    assert "robustprune worker" in job_progress.worker_line()
