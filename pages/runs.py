"""Runs: every cached run; filter, compare two, export the table, download a model, delete."""

import streamlit as st

from robustprune.dashboard import cached, charts, links, widgets
from robustprune.dashboard.link_checks import checked, each_of, one_of
from robustprune.figures import pruning, runs

store = widgets.page_frame()
st.title("Runs")

frame, damaged_runs = runs.runs_and_damage(store, cached.every_run(store))
for damaged in damaged_runs:
    st.warning(f"Run `{damaged.run_id}` ({damaged.kind}) is damaged ({damaged.damage}): it is treated as missing "
               "and computed again when asked for.", icon=":material/broken_image:")
if frame.empty:
    st.info("No cached runs yet: the first start fine-tunes the dense default, and **Prune** adds pruning runs.")
    st.stop()

filters = {}
for column, name in zip(st.columns(4), ("kind", "model", "dataset", "method")):
    with column:
        values = sorted(frame[name].dropna().unique())
        # keys of their own: pages share one session, and the Prune form's "model", "dataset" and "method" are
        # single names, not lists of them
        key = f"filter_{name}"
        filters[name] = checked(key, lambda: st.multiselect(name.capitalize(), values, key=key, bind="query-params"),
                                f"among this cache's {name}s", each_of(values))
shown = runs.filter_runs(frame, **filters)
if shown.empty:
    st.info("No run matches these filters: clear one of them to see runs again.")
    st.stop()
st.dataframe(shown, hide_index=True, placeholder="", column_config={
    "sparsity": st.column_config.NumberColumn(format="percent"),
    "accuracy": st.column_config.NumberColumn(format="percent"),
    "accuracy_under_attack": st.column_config.NumberColumn(format="percent")})
for column, (fmt, (mime, suffix)) in zip(st.columns(6), runs.EXPORT_FORMATS.items()):
    column.download_button(f"Export {fmt}", lambda fmt=fmt: runs.export_bytes(shown, fmt), f"robustprune-runs.{suffix}",
                           mime, icon=":material/download:", on_click="ignore")  # written only when clicked

st.subheader("Compare two runs")
ids = list(shown["run"])
first, second = runs.default_comparison(shown)  # unless the URL names them: two pruning runs, or two models
left, right = st.columns(2)
listed = "a run of the table above (deleted, or filtered out)"
run_a = checked("a", lambda: left.selectbox("Run A", ids, index=first, key="a", bind="query-params"), listed,
                one_of(ids))
run_b = checked("b", lambda: right.selectbox("Run B", ids, index=second, key="b", bind="query-params"), listed,
                one_of(ids))
for column, run_id in zip((left, right), (run_a, run_b)):
    if not run_id:
        continue
    page, params = links.run_view(store, run_id)
    if page != links.RUNS_PAGE:
        column.page_link(page, label=f"Open {run_id}", query_params=params, icon=":material/open_in_new:")
        continue
    # a dense model (or a kind no page shows): this comparison is its view; say where else it is seen
    kind = store.require(run_id).kind
    views = links.dense_views(store, run_id)
    what = {"finetune": "A fine-tuned dense model", "soup": "A greedy soup (a dense model)"}.get(kind, f"A {kind} run")
    overview = any(page == "pages/overview.py" for _, page, _ in views)
    column.caption(f"{what}: no page of its own; its fields are compared below. "
                   + ("It starts (x = 0) the lines of its pruning runs on the Overview." if overview else
                      "Once pruned, it starts (x = 0) the lines of its pruning runs on the Overview."))
    for label, page, params in views:
        column.page_link(page, label=label, query_params=params, icon=":material/open_in_new:")
if run_a and run_a == run_b:
    st.caption("Run A and Run B are the same run: choose another one to compare.")
if run_a and run_b and run_a != run_b:
    st.dataframe(runs.compare_frame(store, run_a, run_b), hide_index=True, height=300)
    if {store.require(run_a).kind, store.require(run_b).kind} == {"prune"} and \
            all(widgets.cached_run(store, run_id) for run_id in (run_a, run_b)):
        results = [cached.prune_result(store, run_id) for run_id in (run_a, run_b)]
        charts.show("compare-depth", cached.run_stamp(store, run_a, run_b),
                    lambda: pruning.depth_figure(pruning.depth_frame(
                        {f"{pruning.run_label(result)} ({result.run_id})": result for result in results})),
                    key="compare-depth")

# built only while open: closed, they cost a page switch nothing
left, right = st.columns(2)
download = left.expander("Download a model", icon=":material/download:", key="download-open", on_change="rerun")
with download:
    if download.open:
        downloadable = list(shown[shown["kind"].isin(runs.DOWNLOADABLE_KINDS)]["run"])
        chosen = st.selectbox("Run", downloadable, key="download", bind="query-params")
        if chosen and widgets.cached_run(store, chosen):
            st.download_button("Download (zip: safetensors + config)", lambda: runs.model_archive(chosen, store),
                               f"{chosen}.zip", "application/zip", icon=":material/download:")
            st.caption("Unzip, then `AutoModelForSequenceClassification.from_pretrained(folder)`.")
delete = right.expander("Delete a run", icon=":material/delete:", key="delete-open", on_change="rerun")
with delete:
    if delete.open:
        doomed = st.selectbox("Run", ids, key="delete")
        also = runs.dependents(store, doomed) if doomed else []
        if also:
            st.warning(f"Also deletes the {len(also)} run(s) built on it: {', '.join(also)}")
        sure = st.checkbox("I am sure", key="confirm-delete")
        if st.button("Delete", disabled=not sure, icon=":material/delete:"):
            deleted = runs.delete_run(store, doomed)
            st.cache_data.clear()
            st.toast(f"Deleted {', '.join(deleted)}")
            st.rerun()
