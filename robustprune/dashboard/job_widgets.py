"""Live job progress on a page: a job's panel, the sidebar's job list, a request's panel or submit button, a
sweep's progress, and page reruns as runs finish. Refreshing parts are ``st.fragment(run_every=...)``; a job
that ends reruns the whole page, which then finds its cached run."""

from __future__ import annotations

import streamlit as st

from robustprune.dashboard import job_progress
from robustprune.errors import RobustPruneError
from robustprune.jobs import JobQueue
from robustprune.store import RunStore

POLL_SECONDS = 1.0


@st.fragment(run_every=POLL_SECONDS)
def job_panel(job_id: str) -> None:
    """A job's live progress. When it finishes the whole page reruns (and finds the cached run);
    when it fails its error shows, with a button to run it again."""
    queue = JobQueue()
    job = queue.get(job_id)
    if job is None:
        st.warning("This job is no longer in the job table; submit it again.")
        return
    if job.status == "done":
        st.rerun(scope="app")
    if job.status == "failed":
        st.error(f"The job failed: {job.error}")
        if st.button("Retry", key=f"retry-{job_id}", icon=":material/refresh:"):
            queue.submit(job.kind, job.params)
            job_progress.start_worker_if_allowed(queue)
            st.rerun(scope="fragment")
        return
    if job.status == "queued" and not queue.live_workers():
        job_progress.start_worker_if_allowed(queue)
    st.progress(min(job.fraction, 1.0), text=job_progress.describe_job(job))
    st.caption("Runs in the background worker: you can leave this page, reload it or open it in another tab.")


def jobs_sidebar() -> None:
    """Worker status, and while jobs are queued or running, their live progress."""
    queue = JobQueue()
    active = job_progress.active_jobs(queue)
    if active:
        _live_jobs(len(active))
    else:
        st.caption(job_progress.worker_line(queue))


@st.fragment(run_every=2 * POLL_SECONDS)
def _live_jobs(count: int) -> None:
    """Refreshed in place; when a job finishes (or another tab adds one) the page reruns, to show what changed."""
    queue = JobQueue()
    jobs = job_progress.active_jobs(queue)
    if len(jobs) != count:
        st.rerun(scope="app")
    st.caption(job_progress.worker_line(queue))
    for job in jobs:
        st.progress(min(job.fraction, 1.0), text=job_progress.describe_job(job))


def run_or_progress(request, button_label: str, explanation: str, key: str = "submit-job") -> None:
    """For a request whose run is not cached: its job's progress, or a button that submits it.

    Either is drawn in one container, so that what follows keeps its place in the page when one replaces the
    other (see ``widgets.page_frame`` on why places matter to a refreshing fragment)."""
    job = job_progress.find_job(request)
    with st.container():
        if job is not None and job.status in ("queued", "running", "failed"):
            job_panel(job.job_id)
            return
        _submit_button(request, button_label, explanation, key)


def computed_on_view(request, explanation: str) -> None:
    """For a short job the page computes without asking (seconds of the worker's time): submitted on the first look
    (and again once its run is gone), then its progress; a failed one shows its error and a Retry button."""
    job = job_progress.find_job(request)
    with st.container():
        if job is None or job.status == "done":
            try:
                job = job_progress.submit(request)
            except RobustPruneError as error:
                st.error(str(error))
                return
        st.caption(explanation)
        job_panel(job.job_id)


def _submit_button(request, button_label: str, explanation: str, key: str) -> None:
    st.info(explanation)
    if st.button(button_label, type="primary", key=key):
        try:
            job_progress.submit(request)
        except RobustPruneError as error:
            st.error(str(error))
            return
        st.rerun()


def sweep_progress(request, plan, store: RunStore, cached: set[str], start_label: str = "Start the sweep") -> None:
    """A sweep's runs: before it starts, what is cached and a Start button; while it runs, every run's state
    (refreshed in place); a failed sweep shows which runs failed and why, with a Retry.

    Only a queued or running sweep refreshes (``_running_sweep``): a page whose sweep has not started, has finished
    or has failed asks the browser for no reruns. ``cached``: the plan's cached runs (``plan.cached(store)``), as
    the page has them."""
    queue = JobQueue()
    job = job_progress.find_job(request, queue)
    if job is not None and job.status in ("queued", "running"):
        _running_sweep(request, plan, store)
        return
    if job is not None and job.status == "failed":
        st.error(f"The sweep stopped: {job.error}")
        if st.button("Retry", key="retry-sweep", icon=":material/refresh:"):
            job_progress.submit(request, queue)
            st.rerun()
        _sweep_cells(queue.cells(job.job_id))
        return
    if len(cached) == len(plan.cells):
        return  # the estimate above says so: nothing to start
    from robustprune.dashboard import sweep

    with st.expander(f"The {len(plan.cells)} runs of this sweep", icon=":material/list:"):
        st.dataframe(sweep.plan_frame(plan, cached), hide_index=True, placeholder="")
    if st.button(start_label, type="primary", key="start-sweep", icon=":material/play_arrow:"):
        try:
            job_progress.submit(request, queue)
        except RobustPruneError as error:
            st.error(str(error))
            return
        st.rerun()  # the page now draws the running sweep's refreshing panel


@st.fragment(run_every=2 * POLL_SECONDS)
def _running_sweep(request, plan, store: RunStore) -> None:
    """A queued or running sweep, refreshed in place; the page reruns when a run finishes (its table fills in) and
    when the sweep ends (it stops refreshing)."""
    queue = JobQueue()
    job = job_progress.find_job(request, queue)
    if job is None or job.status not in ("queued", "running"):
        st.rerun(scope="app")
    st.progress(min(job.fraction, 1.0), text=job_progress.describe_job(job))
    rerun_when_changed("sweep-finished", len(plan.cached(store)))
    _sweep_cells(queue.cells(job.job_id))


def _sweep_cells(cells) -> None:
    from robustprune.dashboard import sweep

    if cells:
        st.caption(sweep.progress_line(cells))
        st.dataframe(sweep.cells_frame(cells), hide_index=True, height=240, placeholder="")


def rerun_when_changed(key: str, value) -> None:
    """Rerun the whole page when ``value`` differs from the one this session saw last (not on the first look)."""
    previous = st.session_state.get(key)
    st.session_state[key] = value
    if previous is not None and previous != value:
        st.rerun(scope="app")


def refresh_as_runs_finish(store: RunStore) -> None:
    """While jobs run (a sweep's cells finishing one by one), redraw the page each time a run is added.

    Only while jobs are queued or running does the page ask the browser for reruns: an idle page asks for none (it
    did every 2 s, for a look at the job table each time)."""
    if job_progress.active_jobs():
        st.session_state["runs-seen"] = store.count()
        _rerun_as_runs_finish(store)


@st.fragment(run_every=2 * POLL_SECONDS)
def _rerun_as_runs_finish(store: RunStore) -> None:
    """The page reruns when a run is added, and once more when the last job ends (which stops the refreshing)."""
    if not job_progress.active_jobs():
        st.rerun(scope="app")
    rerun_when_changed("runs-seen", store.count())
