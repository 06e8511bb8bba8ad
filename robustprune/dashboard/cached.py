"""Streamlit caches over the run store: moving between cached runs does not read or load anything twice.

Results are keyed by (store root, run id, creation time); no model is loaded here (what needs one is a job
of the worker, whose result is a cached run). A run id is a hash
of everything that determines the run, so a cached value never goes stale; the creation
time tells a run deleted and computed again from the old one. Datasets are keyed by a
file's modification time.

An attack run's records, its examples table, projection, per-layer AUC and explanations are
``st.cache_resource``: one object shared by every session and script run, never mutated (the
pages filter and draw them into new objects). As ``st.cache_data`` each script run unpickled its
own copy: 30-50 ms a run for an attack of 1000 examples.
"""

from __future__ import annotations

import os

import streamlit as st

from robustprune.dashboard.choices import DataChoice
from robustprune.data import TaskData, load_task_data
from robustprune.store import RunStore


@st.cache_resource(show_spinner=False, max_entries=512)
def _figure(name: str, key: tuple, _build):
    return _build()


def figure(name: str, key: tuple, build):
    """``build()``'s plotly figure, built once per ``key`` and shared by every session (never mutated).

    A figure of cached runs never changes, and plotly validates every property as a figure is built: tens of
    milliseconds per figure of the Prune page, most of a page's script time. ``key`` must name everything the
    figure shows (store root, run ids and their creation times, the page's choices)."""
    return _figure(name, key, build)


@st.cache_resource(show_spinner=False, max_entries=32)
def _tradeoff(root: str, state: tuple, model: str, dataset: str, recipe: str | None, kind: str):
    from robustprune.figures import overview
    from robustprune.figures.frontier_bands import frontier_bands

    store = RunStore(root)
    frame = overview.tradeoff_frame(store, model, dataset, recipe, kind, attack_runs(store)[0])
    if frame.empty:
        return frame, None, frame
    bands = frontier_bands(store, model, dataset, recipe, kind)
    return frame, overview.tradeoff_figure(frame, overview.X_TITLES[kind], bands), overview.runs_table(frame)


def tradeoff_key(store: RunStore, model: str, dataset: str, recipe: str | None) -> tuple:
    """What the Overview's curves of one model, dataset and recipe show: (store root, state of the store, choices).
    A run added or deleted changes the state, and so the key."""
    return str(store.root), store.state(), model, dataset, recipe


def tradeoff(key: tuple, kind: str):
    """The Overview's (points, figure, table) of ``tradeoff_key`` for one kind of pruning, built once per key."""
    return _tradeoff(*key, kind)


@st.cache_resource(show_spinner=False, max_entries=8)
def _attack_runs(root: str, state: tuple) -> tuple:
    from robustprune.figures.attacks import attacked_runs, list_attack_runs

    store = RunStore(root)
    infos = list_attack_runs(store)
    return tuple(infos), attacked_runs(store, infos)


def attack_runs(store: RunStore) -> tuple[list, dict[str, str]]:
    """(``attacks.list_attack_runs``, ``attacks.attacked_runs`` of them), listed once per state of the store (a run
    added or deleted changes it, ``RunStore.state``). The Attacks and Embeddings pickers and the Overview's recipes
    read them on every click, and a listing checks every attack's files: a thousand attacks took 0.3 s a click.
    An attack damaged since the listing stays listed until the state changes; opening it checks its files
    (``widgets.cached_run``)."""
    infos, targets = _attack_runs(str(store.root), store.state())
    return list(infos), dict(targets)


@st.cache_data(show_spinner=False, max_entries=4)
def _every_run(root: str, state: tuple):
    from robustprune.figures.runs import runs_frame

    return runs_frame(RunStore(root).list(include_damaged=True))


def every_run(store: RunStore):
    """``runs.runs_frame`` of every run of the store, damaged or not, built once per state of the store: reading
    a thousand runs' summaries took 50 ms a click of the Runs page. ``runs.runs_and_damage`` leaves out the damaged
    ones, checked at each run."""
    return _every_run(str(store.root), store.state())


@st.cache_data(show_spinner=False, max_entries=8)
def _sweep_history(root: str, state: tuple, model: str) -> dict:
    from robustprune.sweep.estimate import history

    return history(RunStore(root), model)


def sweep_history(store: RunStore, model: str) -> dict:
    """``sweep.estimate.history``: the seconds past runs of ``model`` took, read once per state of the store (it
    parses every run's summary; the Sweep page estimates on every change of its form)."""
    return _sweep_history(str(store.root), store.state(), model)


@st.cache_resource(show_spinner=False, max_entries=8)
def _sweep_table(root: str, state: tuple, rows: tuple):
    from robustprune.sweep.table import grid_table

    return grid_table(rows, RunStore(root))


def sweep_table(store: RunStore, plan):
    """``sweep.table.sweep_table`` of ``plan``, built once per state of the store. Each row looks up three runs and a
    dense row reads its attack's records (the collapse check): on the walkthrough store 0.25 ms a pruned model's row,
    2.5 ms a dense row, and the Sweep page built it on every change of its form and every time a sweep's run
    finished. A run damaged since is shown until the store changes (opening it says so)."""
    return _sweep_table(str(store.root), store.state(), tuple(plan.rows))  # GridRows: hashed by their fields


def run_stamp(store: RunStore, *run_ids: str) -> tuple:
    """The part of a figure's key that names cached runs: (root, (run id, creation time), ...)."""
    return (str(store.root), *((run_id, store.require(run_id).created) for run_id in run_ids))


@st.cache_resource(show_spinner=False, max_entries=16)
def _task_data(dataset: str, text_column: str, label_column: str, stamp: float) -> TaskData:
    return load_task_data(dataset, text_column, label_column)


def task_data(choice: DataChoice) -> TaskData:
    """The dataset of ``choice``, loaded once per file version; RobustPruneError says what is wrong (a name
    the dashboard does not open included: ``sources``)."""
    source = choice.source
    stamp = os.path.getmtime(source) if choice.is_file and os.path.isfile(source) else 0.0
    return _task_data(source, choice.text_column, choice.label_column, stamp)


@st.cache_data(show_spinner=False, max_entries=256)
def _prune_result(root: str, run_id: str, created: float):
    from robustprune.pipeline import read_prune_result

    return read_prune_result(RunStore(root).require(run_id, verify=True))


def prune_result(store: RunStore, run_id: str):
    record = store.require(run_id)
    return _prune_result(str(store.root), run_id, record.created)


@st.cache_data(show_spinner=False, max_entries=64)
def _structured_run(root: str, run_id: str, created: float):
    from robustprune.figures.structured import read_structured_run

    return read_structured_run(RunStore(root), run_id)


def structured_run(store: RunStore, run_id: str):
    return _structured_run(str(store.root), run_id, store.require(run_id).created)


@st.cache_resource(show_spinner=False, max_entries=32)
def _attack_result(root: str, run_id: str, created: float):
    from robustprune.figures.attacks import load_attack_result

    return load_attack_result(RunStore(root).require(run_id, verify=True))


def attack_result(store: RunStore, run_id: str):
    record = store.require(run_id)
    return _attack_result(str(store.root), run_id, record.created)


@st.cache_resource(show_spinner=False, max_entries=32)
def _examples_frame(root: str, run_id: str, created: float, names: tuple[str, ...]):
    from robustprune.figures.attacks import examples_frame

    return examples_frame(_attack_result(root, run_id, created), list(names))


def examples_frame(store: RunStore, run_id: str, names: list[str]):
    """The examples table of an attack run (with each example's kinds of change), built once."""
    return _examples_frame(str(store.root), run_id, store.require(run_id).created, tuple(names))


@st.cache_resource(show_spinner=False, max_entries=256)
def _explanation(root: str, run_id: str, created: float):
    from robustprune.attack.explain import ExampleExplanation

    return ExampleExplanation.load(RunStore(root).require(run_id).directory, run_id)


def explanation(store: RunStore, run_id: str):
    """A cached explanation run (attributions, per-layer cosine), or None when it is not computed yet."""
    record = store.get(run_id)
    return None if record is None else _explanation(str(store.root), run_id, record.created)


@st.cache_resource(show_spinner=False, max_entries=64)
def _layer_auc(root: str, run_id: str, created: float):
    from robustprune.attack.layer_auc import LayerFlipAUC

    return LayerFlipAUC.load(RunStore(root).require(run_id).directory, run_id)


def layer_auc(store: RunStore, run_id: str):
    """A cached per-layer AUC run, or None when it is not computed yet."""
    record = store.get(run_id)
    return None if record is None else _layer_auc(str(store.root), run_id, record.created)


@st.cache_resource(show_spinner=False, max_entries=16)
def _projection(root: str, run_id: str, created: float):
    from robustprune.attack.projection import AttackProjection

    record = RunStore(root).require(run_id)
    return AttackProjection.load(record.directory, record.parent or "", run_id)


def projection(store: RunStore, run_id: str):
    """A cached projection of an attack's pairs (``robustprune.attack.projection``), or None when not computed yet."""
    record = store.get(run_id)
    return None if record is None else _projection(str(store.root), run_id, record.created)


@st.cache_data(show_spinner=False, max_entries=64)
def _block_errors(root: str, run_id: str, created: float):
    from robustprune.attack.layer_auc import block_errors

    return block_errors(RunStore(root), run_id)


def block_errors(store: RunStore, run_id: str):
    """A pruning run's reconstruction error per block (None for a dense run or one no longer cached)."""
    record = store.get(run_id)
    return None if record is None else _block_errors(str(store.root), run_id, record.created)
