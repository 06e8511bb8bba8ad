"""Overview: what the tool does, and the accuracy / sparsity trade-off of every cached run."""

import streamlit as st

from robustprune.dashboard import cached, charts, job_widgets, links, navigation, sweep, widgets
from robustprune.dashboard.choices import DataChoice, default_dataset, default_model, model_choice_source
from robustprune.errors import RobustPruneError
from robustprune.figures import overview
from robustprune.requests import SweepRequest
from robustprune.sweep import plan_sweep
from robustprune.sweep.estimate import estimate_sweep
from robustprune.sweep.spec import starter_spec

store = widgets.page_frame()
job_widgets.refresh_as_runs_finish(store)  # a sweep's runs appear on the curves as they finish
st.title("robustprune")
st.markdown(
    "Prune a fine-tuned transformer text classifier (knowledge-retention pruning, SparseGPT, Wanda, magnitude, "
    "or K-prune's structured pruning) and see what it costs: clean accuracy, and accuracy under adversarial "
    "word-substitution attacks. Every run is cached: select a row of a table below (or, with interactive "
    "charts, click a point) to open it.")
widgets.report_button("robustprune-overview.html", overview=True)


def starter_grid() -> None:
    """Before the first pruning run: the fine-tuned models' accuracy, and one button that starts the starter grid
    (``sweep.STARTER_GRID``) on the default model and dataset as one sweep job, its estimate beside it."""
    dense = overview.dense_accuracies(store)
    if dense.empty:
        st.info("No pruning runs yet: open **Prune**, pick a sparsity and start one.")
        st.page_link("pages/prune.py", label="Prune a model", icon=":material/content_cut:")
        return
    st.subheader("Your fine-tuned model" if len(dense) == 1 else "Your fine-tuned models")
    for row in dense.itertuples(index=False):
        st.success(f"**{row.model}** on {row.dataset}: {row[2]:.1%} clean accuracy on its {row.texts} test texts "
                   f"(95 % interval {row[3]:.1%}–{row[4]:.1%}, Wilson).")
    st.info("No pruning runs yet. Start a small grid (krp and magnitude at 50, 70 and 87.5 % sparsity, each attacked "
            "with TextBugger on 50 test sentences) and the trade-off curves fill in here as its runs finish; or open "
            "**Prune** for a single run.")
    st.page_link("pages/prune.py", label="Prune a model", icon=":material/content_cut:")
    choice = DataChoice(default_dataset())
    data = widgets.checked_task_data(choice)
    if data is None:
        return
    try:
        spec = starter_spec(model_choice_source(default_model(), store), choice.source, choice.text_column,
                            choice.label_column, test_texts=len(data.test))
        plan = plan_sweep(spec, data)
    except RobustPruneError as error:
        st.error(str(error))
        return
    cached_runs = plan.cached(store)
    estimate = estimate_sweep(plan, store, past=cached.sweep_history(store, spec.model), cached=cached_runs,
                              data=data)
    st.info(sweep.estimate_line(estimate, len(plan.rows)), icon=":material/schedule:")  # what the button costs
    job_widgets.sweep_progress(SweepRequest(spec), plan, store, cached_runs, start_label="Start the starter grid")


pairs = overview.model_dataset_pairs(store)
if not pairs:
    starter_grid()
    st.stop()

models = sorted({model for model, _ in pairs}, key=lambda model: (model != default_model(), model))
left, middle, right = st.columns(3)
with left:
    model = widgets.stored_choice("Model", models, key="model")
with middle:
    dataset = widgets.stored_choice("Dataset", [data for name, data in pairs if name == model], key="dataset")
with right:
    recipe = widgets.stored_choice("Attack recipe", overview.attack_recipes(cached.attack_runs(store)[0]), key="recipe")

curves = cached.tradeoff_key(store, model, dataset, recipe)
for kind in overview.PRUNING_KINDS:
    frame, figure, table = cached.tradeoff(curves, kind)
    if frame.empty:
        continue
    x_title = overview.X_TITLES[kind]
    st.subheader(f"Trade-off: accuracy vs {x_title}" + (" (structured pruning)" if kind == "structured" else ""))
    event = charts.show(f"tradeoff-{kind}", curves, lambda: figure, key=f"tradeoff-{kind}", on_select="rerun",
                        selection_mode="points")
    if event is not None and (clicked := overview.clicked_run(event.selection)) and store.get(clicked) is not None:
        navigation.open_view(*links.run_view(store, clicked))
    if overview.UNDER_ATTACK not in set(frame["metric"]):
        st.caption("No attack runs on these models yet: the accuracy-under-attack curve appears with the first one.")
    st.caption("Clean accuracy is on the whole test split; accuracy under attack, and the faint dotted clean accuracy "
               "beside it, on the attacked test texts (how many: hover a point, with interactive charts). A hollow "
               "marker is a collapsed model: it predicts (nearly) one class, so its accuracy under attack is no "
               "robustness and is left out of the line. Every error bar is the 95 % Wilson interval of the point's "
               "accuracy on its texts; where several seeds meet, a point is their mean and its bar Wilson's interval "
               "on their pooled counts (the seeds' min–max is in the hover). A pruned point under attack hovers its "
               "difference from its dense start under the same attack (points, 95 % interval, p; paired on the same "
               "sentences: Newcombe, exact McNemar). A shaded band under attack is a stored frontier (the Frontier page, "
               "`robustprune frontier`): the method's robustness is kept up to its left edge and lost from its right "
               "one (dashed and fainter: nothing lost, undecided from its left edge to the highest level probed); "
               "hover it for the answer with its evidence, click its edge to open it. Select a row of the table "
               "to open its run.")
    columns = {column: st.column_config.NumberColumn(format="percent") for column in overview.interval_columns()}
    columns["sparsity"] = st.column_config.NumberColumn(x_title, format="percent")
    chosen = st.dataframe(table, hide_index=True, key=f"runs-{kind}", on_select="rerun", selection_mode="single-row",
                          column_config=columns, placeholder="")  # a point not attacked: blank, not "None"
    if (rows := chosen.selection.rows) and store.get(run_id := table.iloc[rows[0]]["run"]) is not None:
        navigation.open_view(*links.run_view(store, run_id))
