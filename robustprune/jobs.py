"""Background jobs: the dashboard submits, a worker process computes.

Jobs live in a table of the run store's SQLite index. A job's id is a hash of its kind
and parameters, so two identical requests (a reload, a second browser tab) share one
job. A worker claims queued jobs one at a time, reports progress (stage, done / total)
and a heartbeat while it runs, and finishes a job as ``done`` (with the run id it
produced) or ``failed`` (with the error). A job whose worker died (its process is gone, or
no progress for ``STALE_SECONDS``) is marked failed (reaped) by every reader and by every
worker, on start and before each claim; the run store's atomic writes guarantee it left no
half-written run. A failed job can be submitted again.

A worker finishes or reports on a job only while that job is still ``running`` under its
own pid: a job reaped for lack of progress while its worker was still alive stays failed
(or, once retried, belongs to its new claim). A retry never computes twice: the pipeline
holds a per-run lock (``RunStore.lock``) around "look up, compute, write", so a retry claimed
while the old worker still computes waits for that run and reuses it.

A job is a request (``robustprune.requests``): its kind and ``to_dict()`` are the job's kind and parameters,
and the worker runs ``request_from_dict(kind, params).run(store, ...)``; what each kind does is in its request.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
import traceback
from dataclasses import dataclass

from robustprune.errors import RobustPruneError
from robustprune.requests import request_from_dict, request_type
from robustprune.store import RunStore, add_index_schema, canonical_json, run_id_for

STALE_SECONDS = 120
JOB_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    job_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    params_json TEXT NOT NULL,
    status TEXT NOT NULL,
    stage TEXT,
    done INTEGER DEFAULT 0,
    total INTEGER DEFAULT 0,
    error TEXT,
    run_id TEXT,
    worker_pid INTEGER,
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS workers (pid INTEGER PRIMARY KEY, heartbeat REAL NOT NULL);
CREATE TABLE IF NOT EXISTS sweep_cells (
    job_id TEXT NOT NULL,
    run_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    label TEXT NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    seconds REAL,
    updated REAL NOT NULL,
    PRIMARY KEY (job_id, run_id)
);
"""
add_index_schema(JOB_SCHEMA)  # made again with the runs' table when the index file is made anew
FINISHED = ("done", "failed")
_running_here: set[str] = set()  # ids of the jobs this process is running now (JobQueue.run)


@dataclass
class Job:
    job_id: str
    kind: str
    params: dict
    status: str  # queued | running | done | failed
    stage: str | None
    done: int
    total: int
    error: str | None
    run_id: str | None
    worker_pid: int | None
    created: float
    updated: float

    @property
    def finished(self) -> bool:
        return self.status in FINISHED

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 0.0


def job_id_for(kind: str, params: dict) -> str:
    """The id a job of ``kind`` with ``params`` has (or will have): a page can look it up without submitting."""
    return run_id_for(f"job-{kind}", params)


class JobQueue:
    def __init__(self, store: RunStore | None = None) -> None:
        self.store = store or RunStore()
        with self.store.connect() as connection:
            connection.executescript(JOB_SCHEMA)

    def submit(self, kind: str, params: dict) -> Job:
        """Queue a job, or return the identical one already queued, running or done; a failed one is retried,
        and so is a done one whose run has been deleted or damaged since."""
        rerun_when_done = request_type(kind).rerun_when_done  # an unknown kind fails here, naming the known ones
        job_id = job_id_for(kind, params)
        now = time.time()
        with self.store.connect() as connection:
            connection.execute(
                "INSERT OR IGNORE INTO jobs (job_id, kind, params_json, status, created, updated) "
                "VALUES (?, ?, ?, 'queued', ?, ?)", (job_id, kind, canonical_json(params), now, now))
            row = connection.execute("SELECT status, run_id FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
            gone = row[1] and (not self.store.directory(row[1]).is_dir()
                               or self.store.damage(row[1], verify=False) is not None)
            if row[0] == "failed" or (row[0] == "done" and (rerun_when_done or gone)):
                connection.execute(
                    "UPDATE jobs SET status = 'queued', error = NULL, stage = NULL, done = 0, total = 0, "
                    "worker_pid = NULL, run_id = NULL, updated = ? WHERE job_id = ?", (now, job_id))
        return self.get(job_id)

    def submit_request(self, request) -> Job:
        """``submit`` the job of a request (``robustprune.requests``)."""
        return self.submit(request.kind, request.to_dict())

    def get(self, job_id: str) -> Job | None:
        self.reap_stale()
        with self.store.connect() as connection:
            row = connection.execute("SELECT * FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
        return None if row is None else self._job(row)

    def list(self, limit: int = 50) -> list[Job]:
        self.reap_stale()
        with self.store.connect() as connection:
            rows = connection.execute("SELECT * FROM jobs ORDER BY created DESC LIMIT ?", (limit,)).fetchall()
        return [self._job(row) for row in rows]

    def unfinished(self) -> list[Job]:
        """The queued and running jobs, newest first, however many have finished since (``list`` shows the newest
        ``limit``): what the sidebar shows, read on every page."""
        self.reap_stale()
        with self.store.connect() as connection:
            rows = connection.execute(f"SELECT * FROM jobs WHERE status NOT IN ({', '.join('?' for _ in FINISHED)}) "
                                      "ORDER BY created DESC", FINISHED).fetchall()
        return [self._job(row) for row in rows]

    def claim(self, worker_pid: int) -> Job | None:
        """Atomically take the oldest queued job for this worker."""
        with self.store.connect() as connection:
            connection.execute("BEGIN IMMEDIATE")
            row = connection.execute(
                "SELECT job_id FROM jobs WHERE status = 'queued' ORDER BY created LIMIT 1").fetchone()
            if row is None:
                return None
            connection.execute("UPDATE jobs SET status = 'running', worker_pid = ?, updated = ? WHERE job_id = ?",
                               (worker_pid, time.time(), row[0]))
            if worker_pid == os.getpid():
                _running_here.add(row[0])  # claimed here: not this process's stale job (``reap_stale``)
            claimed = connection.execute("SELECT * FROM jobs WHERE job_id = ?", (row[0],)).fetchone()
        return self._job(claimed)

    def report(self, job_id: str, stage: str, done: int, total: int, worker_pid: int | None = None) -> None:
        """Record a running job's progress (only while it is running under ``worker_pid``, when given)."""
        with self.store.connect() as connection:
            connection.execute("UPDATE jobs SET stage = ?, done = ?, total = ?, updated = ? "
                               "WHERE job_id = ? AND status = 'running' AND (? IS NULL OR worker_pid = ?)",
                               (stage, done, total, time.time(), job_id, worker_pid, worker_pid))

    def finish(self, job_id: str, run_id: str | None = None, error: str | None = None,
               worker_pid: int | None = None) -> bool:
        """Mark a running job done (with its run) or failed (with its error); False, changing nothing, when the job
        is no longer running (under ``worker_pid``, when given): reaped meanwhile, or retried and claimed again."""
        with self.store.connect() as connection:
            cursor = connection.execute(
                "UPDATE jobs SET status = ?, run_id = ?, error = ?, updated = ? "
                "WHERE job_id = ? AND status = 'running' AND (? IS NULL OR worker_pid = ?)",
                ("failed" if error else "done", run_id, error, time.time(), job_id, worker_pid, worker_pid))
            return cursor.rowcount == 1

    def run(self, job: Job) -> Job:
        """Run one claimed job in this process, recording its outcome."""
        progress = JobProgress(self, job.job_id, job.worker_pid)
        _running_here.add(job.job_id)
        try:
            request = request_from_dict(job.kind, job.params)
            result = request.run(self.store, device=job.params.get("device", "auto"), progress=progress)
            run_id = getattr(result, "run_id", None)  # a sweep has no run of its own
        except RobustPruneError as error:
            self.finish(job.job_id, error=str(error), worker_pid=job.worker_pid)
        except Exception as error:  # a bug or a resource problem: keep the worker alive, show the cause
            self.finish(job.job_id, error=f"{type(error).__name__}: {error}\n{traceback.format_exc(limit=4)}",
                        worker_pid=job.worker_pid)
        else:
            self.finish(job.job_id, run_id=run_id, worker_pid=job.worker_pid)
        finally:
            _running_here.discard(job.job_id)
        return self.get(job.job_id)

    def heartbeat(self, pid: int) -> None:
        with self.store.connect() as connection:
            connection.execute("INSERT OR REPLACE INTO workers VALUES (?, ?)", (pid, time.time()))

    def live_workers(self) -> list[int]:
        with self.store.connect() as connection:
            rows = connection.execute("SELECT pid, heartbeat FROM workers").fetchall()
        return [pid for pid, beat in rows if time.time() - beat < STALE_SECONDS and process_alive(pid)]

    def reap_stale(self) -> int:
        """Mark failed the running jobs whose worker is gone (or is this process, which is not running them) or
        has made no progress for ``STALE_SECONDS``; returns how many."""
        with self.store.connect() as connection:
            rows = connection.execute("SELECT job_id, worker_pid, updated FROM jobs WHERE status = 'running'").fetchall()
        reaped = 0
        for job_id, pid, updated in rows:
            if (pid == os.getpid() and job_id not in _running_here) or not process_alive(pid):
                error = (f"the worker (pid {pid}) stopped while running this job; nothing was cached. "
                         "Submit it again to retry.")
            elif time.time() - updated > STALE_SECONDS:
                error = (f"no progress for {STALE_SECONDS} s from its worker (pid {pid}), which is still running; "
                         "it was given up. Retry: a run that worker still finishes is reused, not computed again.")
            else:
                continue
            with self.store.connect() as connection:  # only if nothing changed since it was read
                reaped += connection.execute(
                    "UPDATE jobs SET status = 'failed', error = ?, updated = ? "
                    "WHERE job_id = ? AND status = 'running' AND worker_pid = ? AND updated = ?",
                    (error, time.time(), job_id, pid, updated)).rowcount
        return reaped

    def work(self, once: bool = False, poll_seconds: float = 1.0, parent_pid: int | None = None,
             on_ready=None) -> int:
        """The worker loop: run queued jobs until stopped (or until none are left, with ``once``; or, with
        ``parent_pid``, the worker an app started, once that process has exited and no job is left). On start it
        removes what killed writers left (``RunStore.remove_leftovers``); before each claim (and so on start) it
        reaps the jobs of dead workers. ``on_ready()`` is called once, when start-up is done, before the first
        claim: the worker waits from then on. (Said any earlier, a Ctrl-C right after it could land in start-up's
        first imports — a ``namedtuple``'s ``eval`` in psutil's — and Python 3.11 then ends the process by SIGINT
        although the worker caught the KeyboardInterrupt.)"""
        pid = os.getpid()
        finished = 0
        self.store.remove_leftovers()  # what killed workers were writing
        while True:
            try:
                self.heartbeat(pid)
                self.reap_stale()
                if on_ready is not None:
                    on_ready()
                    on_ready = None
                job = self.claim(pid)
                if job is None and parent_pid is not None and not process_alive(parent_pid):
                    job = self.retire(pid)
                    if job is None:
                        return finished
                if job is not None:
                    self.run(job)
                    finished += 1
                elif once:
                    return finished
                else:
                    time.sleep(poll_seconds)
            except sqlite3.DatabaseError as error:  # the index file replaced or broken under this worker: the next
                # round opens it anew (and rebuilds it from the run folders); a job it ran is reaped or retried then
                print(f"robustprune worker: the run index failed ({error}); opening it again", file=sys.stderr,
                      flush=True)
                time.sleep(poll_seconds)

    def retire(self, pid: int) -> Job | None:
        """Stop counting as a live worker, then claim once more: a job submitted before this claim is run by this
        worker (the job it returns, this worker live again), one submitted after it finds no live worker and starts
        one (``ensure_worker``, after the job is queued). None: nothing was left, the worker may exit."""
        with self.store.connect() as connection:
            connection.execute("DELETE FROM workers WHERE pid = ?", (pid,))
        job = self.claim(pid)
        if job is not None:
            self.heartbeat(pid)
        return job

    # -- a sweep's cells
    def set_cells(self, job_id: str, states) -> None:
        with self.store.connect() as connection:
            connection.execute("DELETE FROM sweep_cells WHERE job_id = ?", (job_id,))
            connection.executemany("INSERT INTO sweep_cells VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                   [(job_id, s.run_id, s.kind, s.label, s.status, s.error, s.seconds, time.time())
                                    for s in states])

    def update_cell(self, job_id: str, state) -> None:
        with self.store.connect() as connection:
            connection.execute("UPDATE sweep_cells SET status = ?, error = ?, seconds = ?, updated = ? "
                               "WHERE job_id = ? AND run_id = ?",
                               (state.status, state.error, state.seconds, time.time(), job_id, state.run_id))

    def cells(self, job_id: str) -> list:
        """A sweep job's cells (``robustprune.sweep.events.CellState``), in plan order."""
        from robustprune.sweep.events import CellState

        with self.store.connect() as connection:
            rows = connection.execute("SELECT run_id, kind, label, status, error, seconds FROM sweep_cells "
                                      "WHERE job_id = ? ORDER BY rowid", (job_id,)).fetchall()
        return [CellState(run_id, kind, label, status, error, seconds)
                for run_id, kind, label, status, error, seconds in rows]

    def _job(self, row) -> Job:
        (job_id, kind, params_json, status, stage, done, total, error, run_id, worker_pid, created, updated) = row
        return Job(job_id, kind, json.loads(params_json), status, stage, done or 0, total or 0, error, run_id,
                   worker_pid, created, updated)


class JobProgress:
    """The progress callback a job's request runs with: stage, done / total to the job's row (and a heartbeat), at
    most twice a second; it also names its job and queue, for requests that record more (a sweep's cells)."""

    def __init__(self, queue: "JobQueue", job_id: str, worker_pid: int | None = None) -> None:
        self.queue, self.job_id, self.worker_pid = queue, job_id, worker_pid
        self._last = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if time.time() - self._last > 0.5 or done >= total:  # keep the database calm
            self._last = time.time()
            self.queue.report(self.job_id, stage, done, total, self.worker_pid)
            self.queue.heartbeat(os.getpid())


def process_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child has exited
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def ensure_worker(queue: JobQueue | None = None) -> int:
    """Start a background worker process unless one is alive; returns its pid. The worker outlives this process only
    as long as jobs are left (``JobQueue.work``'s ``parent_pid``)."""
    queue = queue or JobQueue()
    alive = queue.live_workers()
    if alive:
        return alive[0]
    log = open(queue.store.root / "worker.log", "ab")
    # its own session, so that the app's reloads and a Ctrl-C in its terminal do not kill a job half-way; it exits
    # once this process has, and its jobs are done
    process = subprocess.Popen([sys.executable, "-m", "robustprune.cli", "worker", "--parent", str(os.getpid())],
                               stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True,
                               env={**os.environ})
    queue.heartbeat(process.pid)
    return process.pid
