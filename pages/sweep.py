"""Sweep: a whole grid of runs (dense starts × methods × sparsities × attacks) in one request."""

import streamlit as st

from robustprune.dashboard import cached, job_widgets, sweep, widgets
from robustprune.dashboard.choices import PAPER_SPARSITY_PERCENT, model_choice_source, sparsity_fraction
from robustprune.dashboard.link_checks import checked, each_of, number_in, one_of
from robustprune.errors import RobustPruneError
from robustprune.requests import SweepRequest
from robustprune.sweep import SweepSpec, plan_sweep
from robustprune.sweep.comparisons import COMPARISON_COLUMNS
from robustprune.sweep.estimate import estimate_sweep

store = widgets.page_frame()
st.title("Sweep")
st.markdown("Fill the whole trade-off grid with one request: every dense start, method, sparsity and attack below "
            "becomes an ordinary cached run (what is cached is never computed again), made by the worker or, with "
            "Ray, by every CPU and GPU of a cluster. The Overview's curves fill in as runs finish.")

model, choice = widgets.model_and_dataset_pickers(store)
left, middle, right = st.columns(3)
with left:
    starts = checked("starts", lambda: st.multiselect(
        "Dense starts", ["finetune", "soup"], default=["finetune"], key="starts", bind="query-params",
        help="one fine-tuned model, or the greedy soup of several"), "finetune or soup", each_of(["finetune", "soup"]))
    methods = checked("methods", lambda: st.multiselect(
        "Methods", sweep.method_options(), default=["krp", "sparsegpt", "magnitude"], key="methods",
        bind="query-params", help="+refit re-fits the pooler and classifier to the dense outputs (krp paper)"),
        "among " + ", ".join(sweep.method_options()), each_of(sweep.method_options()))
with middle:
    sparsities = checked("sparsities", lambda: st.multiselect(
        "Sparsities (%)", PAPER_SPARSITY_PERCENT, default=[50.0, 87.5], key="sparsities", bind="query-params",
        help="unstructured methods"), "among " + ", ".join(map(str, PAPER_SPARSITY_PERCENT)),
        each_of(PAPER_SPARSITY_PERCENT))
    flops = checked("flops_grid", lambda: st.multiselect(
        "FLOPs removed (%)", [30.0, 50.0, 70.0], default=[50.0], key="flops_grid", bind="query-params",
        help="structured methods (kprune, structured-magnitude)"), "among 30.0, 50.0, 70.0",
        each_of([30.0, 50.0, 70.0]))
with right:
    recipes = checked("recipes", lambda: st.multiselect(
        "Attacks", ["textfooler", "textbugger", "bert-attack"], default=["textfooler", "textbugger"], key="recipes",
        bind="query-params"), "among textfooler, textbugger, bert-attack",
        each_of(["textfooler", "textbugger", "bert-attack"]))
    examples = checked("examples", lambda: st.number_input(
        "Examples per attack", 1, 10000, 100, key="examples", bind="query-params", help="the first n test texts"),
        "a whole number from 1 to 10,000", number_in(1, 10000, whole=True))
left, middle, right = st.columns(3)
with left:
    calibration = checked("calibration", lambda: st.number_input(
        "Calibration texts", 1, 100000, 128, key="calibration", bind="query-params"),
        "a whole number from 1 to 100,000", number_in(1, 100000, whole=True))
with middle:
    seeds = checked("seeds", lambda: st.number_input(
        "Seeds", 1, 20, 1, key="seeds", bind="query-params",
        help="K dense starts (fine-tune seeds) or K calibration samples: tables show the spread"),
        "a whole number from 1 to 20", number_in(1, 20, whole=True))
    seed_axis = st.radio("A seed varies", ["finetune", "calibration"], key="seed_axis", bind="query-params",
                         horizontal=True) if seeds > 1 else "finetune"
with right:
    labels = [sweep.EXECUTOR_LABELS[name] for name in sweep.EXECUTORS]  # what the URL holds
    executor = checked("executor", lambda: st.radio("Run on", sweep.EXECUTORS, format_func=sweep.EXECUTOR_LABELS.get,
                                                    key="executor", bind="query-params", horizontal=True),
                       "one of " + ", ".join(repr(label) for label in labels), one_of(labels),
                       sweep.EXECUTOR_LABELS.get)
    address = (st.text_input("Ray address", "auto", key="ray", bind="query-params",
                             help="auto: Ray on this machine; host:port of a running cluster's head")
               if executor == "ray" else None)

if not widgets.checked_model(model, store):
    st.stop()
data = widgets.checked_task_data(choice)
if data is None:
    st.stop()
try:  # the model and dataset as the worker loads them (a data-folder name resolved, nothing else opened)
    spec = SweepSpec(model=model_choice_source(model, store), dataset=choice.source, text_column=choice.text_column,
                     label_column=choice.label_column, dense_starts=tuple(starts), methods=tuple(methods),
                     sparsities=tuple(sparsity_fraction(s) for s in sparsities),
                     flops_reductions=tuple(sparsity_fraction(f) for f in flops), recipes=tuple(recipes),
                     num_examples=int(examples), calibration=int(calibration), seeds=int(seeds),
                     seed_axis=seed_axis)
    plan = plan_sweep(spec, data)
except RobustPruneError as error:
    st.error(str(error))
    st.stop()

request = SweepRequest(spec, address)
cached_runs = plan.cached(store)
estimate = estimate_sweep(plan, store, past=cached.sweep_history(store, spec.model), cached=cached_runs,
                          data=data)
if estimate.missing:
    st.info(sweep.estimate_line(estimate, len(plan.rows)))
else:
    st.success(sweep.estimate_line(estimate, len(plan.rows)))
job_widgets.sweep_progress(request, plan, store, cached_runs)

st.subheader("The table")
st.caption("Clean accuracy and accuracy under attack on the same attacked test texts, with Wilson 95 % intervals "
           "(_low, _high); each pruned row's difference from its dense start (…_vs_dense: pruned − dense) with its 95 % "
           "interval and p-value, paired on the same sentences (Newcombe, exact McNemar); test accuracy on the whole "
           "test split. Empty cells fill in as their runs finish.")
table = cached.sweep_table(store, plan)
percent = st.column_config.NumberColumn(format="percent")
st.dataframe(table.drop(columns=["model_run_id", "attack_run_id", "dense_attack_run_id"]), hide_index=True,
             placeholder="", column_config={name: percent for name in (
                 "sparsity", "clean_accuracy", "accuracy_under_attack", "attack_success_rate", "test_accuracy",
                 *(column for column in COMPARISON_COLUMNS if not column.endswith(("_p", "_id", "paired_with_dense"))))})
