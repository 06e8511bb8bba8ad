"""Prune: choose a model, dataset, method and budget; see the cached run at once, or start a job."""

import streamlit as st

from robustprune.dashboard import job_widgets, prune_views, widgets
from robustprune.errors import RobustPruneError

store = widgets.page_frame()
st.title("Prune")

prune_views.prefill_from_link(store)
form = prune_views.prune_form(store)
linked = prune_views.linked_run(store, form)
if linked is not None:
    st.caption(f"Showing run `{linked}` from the link; change any setting above to choose another run.")
    prune_views.show_run(store, linked)
    st.stop()

if not widgets.checked_model(form.model, store):
    st.stop()
data = widgets.checked_task_data(form.data)
if data is None:
    st.stop()
try:
    request = form.request()
except RobustPruneError as error:
    st.error(str(error))
    st.stop()
if problem := request.problem(data):
    st.error(problem)
    st.stop()

run_id = request.run_id(data)
if not widgets.cached_run(store, run_id):
    budget = (f"{form.flops_percent:g}% of FLOPs removed" if form.structured
              else f"{request.config.target_sparsity:.1%} sparsity"
              + ("" if form.pattern == "unstructured" else f" ({form.pattern})"))
    start = " from the greedy soup" if form.dense_start == "soup" else ""
    job_widgets.run_or_progress(request, "Prune", f"{form.method} at {budget}{start} is not cached yet for "
                                f"{form.model} on {data.name}. Pruning runs in the background worker (about a minute "
                                "for MiniLM on a CPU; the dense start is built first if needed: one fine-tune, or "
                                "4 for the soup).")
    st.stop()
prune_views.show_run(store, run_id)
