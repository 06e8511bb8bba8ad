"""Jobs as the pages see them: find or submit the job of a request, and say how far it is.

Computation never runs in the Streamlit script: a request becomes a job in the run
store's job table, and a worker process (started here unless
``$ROBUSTPRUNE_NO_AUTOWORKER`` is set, or ``robustprune worker`` from a terminal) runs it.
"""

from __future__ import annotations

import os

from robustprune.errors import RobustPruneError
from robustprune.jobs import Job, JobQueue, ensure_worker, job_id_for
from robustprune.requests import request_from_dict

NO_AUTOWORKER_ENV = "ROBUSTPRUNE_NO_AUTOWORKER"
STAGE_UNITS = {"fine-tune": "training steps", "prune": "layer groups", "evaluate": "test examples",
               "attack": "examples", "similarity": "models", "transfer": "texts", "kprune": "sub-layers",
               "structured-magnitude": "layers", "explain": "steps", "layer-auc": "steps", "projection": "models",
               "sweep": "runs"}


def find_job(request, queue: JobQueue | None = None) -> Job | None:
    """The job of ``request`` (queued, running, done or failed), or None if it was never submitted."""
    return (queue or JobQueue()).get(job_id_for(request.kind, request.to_dict()))


def submit(request, queue: JobQueue | None = None) -> Job:
    """Queue the job of ``request`` (an identical one is shared; a failed one is retried) and make sure
    a worker will run it."""
    queue = queue or JobQueue()
    job = queue.submit_request(request)
    start_worker_if_allowed(queue)
    return job


def autoworker_enabled() -> bool:
    return not os.environ.get(NO_AUTOWORKER_ENV)


def start_worker_if_allowed(queue: JobQueue | None = None) -> int | None:
    """The pid of a live worker, starting one unless automatic starts are switched off."""
    queue = queue or JobQueue()
    if autoworker_enabled():
        return ensure_worker(queue)
    alive = queue.live_workers()
    return alive[0] if alive else None


def worker_line(queue: JobQueue | None = None) -> str:
    alive = (queue or JobQueue()).live_workers()
    if alive:
        return f"Worker: running (pid {alive[0]})"
    if autoworker_enabled():
        return "Worker: starts with the first job"
    return "Worker: none; start one with `robustprune worker`"


def active_jobs(queue: JobQueue | None = None) -> list[Job]:
    return (queue or JobQueue()).unfinished()


def describe_job(job: Job) -> str:
    """One line a user reads: what the job is, and where it is (stage, i / n units)."""
    try:
        subject = request_from_dict(job.kind, job.params).describe()
    except (RobustPruneError, KeyError, TypeError, ValueError):  # a kind this version does not know, or its params
        subject = f"{job.kind} job"
    if job.status == "queued":
        return f"{subject}: queued, waiting for the worker"
    if job.status in ("failed", "done"):
        return f"{subject}: {job.status}"
    if not job.stage:
        return f"{subject}: starting"
    return f"{subject}: {job.stage}, {job.done} / {job.total} {STAGE_UNITS.get(job.stage, 'steps')}"


__all__ = ["find_job", "submit", "autoworker_enabled", "start_worker_if_allowed", "worker_line", "active_jobs",
           "describe_job"]
