"""A sweep as one dashboard job: its cells in the job table, failures with their reasons, a retry that
computes only what is missing."""

from __future__ import annotations

from robustprune.dashboard.job_progress import describe_job
from robustprune.jobs import JobQueue


def test_a_sweep_job_records_its_cells_and_a_retry_computes_only_the_missing(spec, monkeypatch):
    from robustprune.errors import RobustPruneError
    from robustprune.requests import PruneRequest

    real = PruneRequest.run

    def krp_fails(request, *args, **kwargs):
        if request.config.method == "krp":
            raise RobustPruneError("planted failure of krp")
        return real(request, *args, **kwargs)

    queue = JobQueue()
    params = {"spec": spec.to_dict(), "shard_size": 2}
    monkeypatch.setattr(PruneRequest, "run", krp_fails)
    job = queue.submit("sweep", params)
    assert queue.work(once=True) == 1
    job = queue.get(job.job_id)
    assert job.status == "failed" and "4 of 12 runs failed (krp 50%: planted failure of krp" in job.error
    cells = {cell.label: cell for cell in queue.cells(job.job_id)}
    assert len(cells) == 12 and cells["krp 50%"].status == "failed"
    # the krp run, its attack's two shards and the attack itself; the dense and magnitude cells are done
    assert cells["textbugger on krp 50%"].error == "needs krp 50%, which failed"
    assert sum(cell.status == "failed" for cell in cells.values()) == 4
    assert sum(cell.status == "done" for cell in cells.values()) == 8
    assert describe_job(job).startswith("Sweep of ")

    monkeypatch.setattr(PruneRequest, "run", real)
    retried = queue.submit("sweep", params)  # the Retry button
    assert retried.job_id == job.job_id and retried.status == "queued"
    assert queue.work(once=True) == 1
    job = queue.get(job.job_id)
    assert job.status == "done" and (job.done, job.total) == (12, 12)
    statuses = [cell.status for cell in queue.cells(job.job_id)]
    assert statuses.count("cached") == 8 and statuses.count("done") == 4
