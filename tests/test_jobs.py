"""Background jobs: shared identical requests, progress, failures, and a killed worker."""

import os
import signal
import subprocess
import sys
import time

from dataclasses import dataclass
from types import SimpleNamespace

import pytest

from robustprune import jobs
from robustprune.errors import RobustPruneError
from robustprune.jobs import JobQueue
from robustprune.progress import silent
from robustprune.requests import REQUESTS
from robustprune.requests.base import RunRequest
from robustprune.store import RunStore, run_id_for


@pytest.fixture
def queue():
    return JobQueue()


@dataclass(frozen=True)
class Succeed(RunRequest):
    """A kind of run for these tests: writes a tiny run keyed by its parameter, and records that it ran."""

    x: object
    kind = "succeed"

    def run(self, store=None, data=None, device="auto", progress=silent, concurrency=None):
        for step in range(1, 4):
            progress("work", step, 3)
        CALLS.append(self.to_dict())
        with RunStore().write("fake", self.to_dict()) as run:
            run.summary["x"] = self.x
        return SimpleNamespace(run_id=run_id_for("fake", self.to_dict()))

    def to_dict(self) -> dict:
        return {"x": self.x}

    @classmethod
    def from_dict(cls, params: dict) -> "Succeed":
        return cls(params["x"])


class Fail(Succeed):
    kind = "fail"

    def run(self, *args, **kwargs):
        raise RobustPruneError("sparsity 1.5 is out of range")


CALLS: list[dict] = []


@pytest.fixture
def fake_handlers(monkeypatch):
    """Two kinds of run registered for the test: "succeed" and "fail"; the list of the parameters that ran."""
    CALLS.clear()
    monkeypatch.setitem(REQUESTS, "succeed", Succeed)
    monkeypatch.setitem(REQUESTS, "fail", Fail)
    return CALLS


def test_identical_requests_share_one_job(queue, fake_handlers):
    first = queue.submit("succeed", {"x": 1})
    second = queue.submit("succeed", {"x": 1})
    other = queue.submit("succeed", {"x": 2})
    assert first.job_id == second.job_id != other.job_id
    assert queue.work(once=True) == 2 and len(fake_handlers) == 2
    done = queue.get(first.job_id)
    assert done.status == "done" and done.run_id == run_id_for("fake", {"x": 1}) and (done.done, done.total) == (3, 3)
    assert queue.submit("succeed", {"x": 1}).status == "done"  # not run again


def test_a_done_job_whose_run_was_deleted_runs_again(queue, fake_handlers):
    job = queue.submit("succeed", {"x": 3})
    queue.work(once=True)
    RunStore().delete(queue.get(job.job_id).run_id)
    assert queue.submit("succeed", {"x": 3}).status == "queued"
    queue.work(once=True)
    assert queue.get(job.job_id).status == "done" and len(fake_handlers) == 2


def test_a_running_job_stays_among_the_unfinished_however_many_finish_after_it(queue, fake_handlers):
    from robustprune.dashboard.job_progress import active_jobs

    long = queue.submit("succeed", {"x": "sweep"})
    assert queue.claim(os.getpid()).job_id == long.job_id  # running here, like a sweep's job
    for x in range(55):  # more than the newest jobs ``list`` shows
        queue.submit("succeed", {"x": x})
    assert queue.work(once=True) == 55
    assert long.job_id not in [job.job_id for job in queue.list()]
    assert [job.job_id for job in active_jobs(queue)] == [long.job_id]  # the sidebar shows it


def test_failed_job_shows_its_error_and_can_be_retried(queue, fake_handlers):
    job = queue.submit("fail", {"x": 1})
    queue.work(once=True)
    failed = queue.get(job.job_id)
    assert failed.status == "failed" and "out of range" in failed.error
    assert queue.submit("fail", {"x": 1}).status == "queued"


def test_unknown_job_kind(queue):
    with pytest.raises(RobustPruneError, match="unknown job kind"):
        queue.submit("nonsense", {})


def test_killed_worker_leaves_the_job_failed_and_nothing_cached(queue, tiny_model_dir, tiny_csv):
    from robustprune.store import RunStore

    params = {"model": tiny_model_dir, "dataset": str(tiny_csv), "device": "cpu",
              "text_column": "review", "label_column": "sentiment",
              "prune": {"method": "krp", "sparsity": 0.5}, "finetune": {"epochs": 200}}
    job = queue.submit("prune", params)  # fine-tuning 200 epochs: long enough to be killed mid-way
    worker = subprocess.Popen([sys.executable, "-m", "robustprune.cli", "worker"], env=os.environ.copy())
    try:
        deadline = time.time() + 120
        while (queue.get(job.job_id).stage != "fine-tune") and time.time() < deadline:
            time.sleep(0.2)
        running = queue.get(job.job_id)
        assert running.status == "running" and running.stage == "fine-tune" and running.total > 0
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    failed = queue.get(job.job_id)
    assert failed.status == "failed" and "stopped" in failed.error
    assert RunStore().list() == []
    assert not [p for p in (RunStore().runs_dir).iterdir() if not p.name.startswith(".partial")]


def job_row(job_id: str) -> tuple[str, str | None]:
    """(status, error) read straight from the table: no reader's reaping in between."""
    import sqlite3

    with sqlite3.connect(RunStore().root / "index.sqlite") as connection:
        return connection.execute("SELECT status, error FROM jobs WHERE job_id = ?", (job_id,)).fetchone()


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_killed_workers_job_is_reaped_by_the_next_worker(queue, fake_handlers):
    job = queue.submit("succeed", {"x": 1})
    queue.claim(dead_pid())  # its worker was killed mid-job: the row still says running
    assert job_row(job.job_id)[0] == "running"
    worker = subprocess.run([sys.executable, "-m", "robustprune.cli", "worker", "--once"], env=os.environ.copy(),
                            capture_output=True, timeout=120)
    assert worker.returncode == 0
    status, error = job_row(job.job_id)  # nobody read the job in between: the new worker reaped it on start
    assert status == "failed" and "stopped while running this job" in error


def test_a_job_given_up_for_lack_of_progress_is_never_finished_by_its_old_worker(queue, fake_handlers):
    import sqlite3

    job = queue.submit("succeed", {"x": 1})
    old_worker = os.getpid()
    queue.claim(old_worker)
    with sqlite3.connect(RunStore().root / "index.sqlite") as connection:  # silent for longer than STALE_SECONDS
        connection.execute("UPDATE jobs SET updated = ? WHERE job_id = ?", (time.time() - jobs.STALE_SECONDS - 1,
                                                                             job.job_id))
    assert queue.reap_stale() == 1 and job_row(job.job_id)[0] == "failed"
    assert not queue.finish(job.job_id, run_id="fake-x", worker_pid=old_worker)  # the old worker comes back
    assert job_row(job.job_id)[0] == "failed"

    queue.submit("succeed", {"x": 1})  # Retry: queued, then claimed by another worker
    queue.claim(os.getppid())
    queue.report(job.job_id, "late", 9, 9, worker_pid=old_worker)  # the old worker's progress goes nowhere
    assert not queue.finish(job.job_id, run_id="fake-x", worker_pid=old_worker)
    retried = queue.get(job.job_id)
    assert retried.status == "running" and retried.worker_pid == os.getppid() and retried.stage is None


def test_the_worker_an_app_started_exits_once_the_app_has_and_its_jobs_are_done(queue, fake_handlers):
    """``worker --parent PID`` (what the dashboard starts): it keeps polling while the app lives, finishes what is
    queued after the app has exited, then stops counting as a live worker and exits."""
    import threading

    app = subprocess.Popen(["sleep", "60"])
    finished = []
    worker = threading.Thread(target=lambda: finished.append(queue.work(poll_seconds=0.05, parent_pid=app.pid)))
    worker.start()
    try:
        queue.submit("succeed", {"x": 1})
        deadline = time.time() + 10
        while not fake_handlers and time.time() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        assert fake_handlers and worker.is_alive()  # idle with its app alive: it waits for more
        assert queue.live_workers() == [os.getpid()]
    finally:
        app.kill()
        app.wait()
    queue.submit("succeed", {"x": 2})  # queued as the app goes: still run
    worker.join(timeout=10)
    assert not worker.is_alive() and finished == [2]
    assert queue.live_workers() == []  # a page's next job starts a new worker


def test_a_job_queued_while_a_worker_retires_is_run_by_it(queue, fake_handlers):
    """Retiring, a worker leaves the live workers first and claims once more: a job queued before that claim is
    run by it, one queued after finds no live worker (and the app starts one)."""
    pid = os.getpid()
    queue.heartbeat(pid)
    queue.submit("succeed", {"x": 1})
    job = queue.retire(pid)
    assert job is not None and job.status == "running" and queue.live_workers() == [pid]
    queue.run(job)
    assert queue.retire(pid) is None and queue.live_workers() == []
