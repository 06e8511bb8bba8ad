"""Frontier: up to which sparsity does a method keep the dense start's robustness? The answer with its evidence."""

import streamlit as st

from robustprune.dashboard import charts, frontier, job_widgets, widgets
from robustprune.dashboard.choices import model_choice_source
from robustprune.dashboard.link_checks import checked, each_of, number_in, one_of
from robustprune.errors import RobustPruneError
from robustprune.frontier.answer import more_sentences
from robustprune.frontier.figure import frontier_figure
from robustprune.frontier.run import load_frontier

store = widgets.page_frame()
st.title("Frontier")
st.markdown("Up to which sparsity does a method keep its dense start's robustness? The paper's levels (30 / 50 / 70 / "
            "87.5 %) are probed first, then the sparsities between the highest **kept** and the lowest **lost** one. "
            "Each probe is an ordinary cached prune + attack run, judged against the dense start on the same sentences: "
            "kept when the 95 % interval of the difference in accuracy under attack ends above −margin, lost when the "
            "drop is significant or the model collapsed, undecided otherwise (with about how many sentences would "
            "decide it). Clean accuracy gets the same verdicts beside it.")

model, choice = widgets.model_and_dataset_pickers(store)
options = frontier.unstructured_methods()
left, middle, right = st.columns(3)
with left:
    methods = checked("methods", lambda: st.multiselect(
        "Methods", options, default=["krp"], key="methods", bind="query-params",
        help="several: their frontiers side by side"), "among " + ", ".join(options), each_of(options))
    paper = st.toggle("Paper's setup", key="paper", bind="query-params",
                      help="the soup chosen under attack, krp with a re-fitted head, 512 calibration texts")
with middle:
    recipe = checked("recipe", lambda: st.selectbox("Attack", frontier.RECIPES, key="recipe", bind="query-params"),
                     "one of " + ", ".join(frontier.RECIPES), one_of(list(frontier.RECIPES)))
    sentences = checked("sentences", lambda: st.number_input(
        "Sentences", 1, 10000, 100, key="sentences", bind="query-params", help="the first n test sentences"),
        "a whole number from 1 to 10,000", number_in(1, 10000, whole=True))
with right:
    margin = checked("margin", lambda: st.number_input(
        "Margin (points)", 0.0, 99.0, frontier.MARGIN_POINTS, 0.5, key="margin", bind="query-params",
        help="a drop smaller than this counts as kept, when the interval says so"), "a number from 0 to 99",
        number_in(0.0, 99.0))
    resolution = checked("resolution", lambda: st.number_input(
        "Resolution (%)", 0.5, 17.0, frontier.RESOLUTION * 100, 0.5, key="resolution", bind="query-params",
        help="the bisection stops at gaps of this size"), "a number from 0.5 to 17", number_in(0.5, 17.0))

if not widgets.checked_model(model, store):
    st.stop()
data = widgets.checked_task_data(choice)
if data is None:
    st.stop()
try:
    request = frontier.frontier_request(model_choice_source(model, store), choice.source, choice.text_column,
                                        choice.label_column, methods, recipe, int(sentences), float(margin),
                                        float(resolution) / 100, preset="paper" if paper else None)
    request.validate(data)
except RobustPruneError as error:
    st.error(str(error))
    st.stop()

record = store.get(request.run_id())
if record is None:
    job_widgets.run_or_progress(request, "Find the frontier", "Not asked yet: every probe is a prune and an attack "
                                "(minutes each on a CPU; cached ones are reused). The answer appears here.",
                                key="find-frontier")
    st.stop()
answers = load_frontier(record)
for answer in answers:
    st.subheader(f"{answer.label} under {answer.recipe}")
    st.markdown(f"**{answer.line()}**")
    charts.show(f"frontier-{answer.method}-{answer.recipe}", (record.run_id, record.created),
                lambda answer=answer: frontier_figure(answer), key=f"frontier-{answer.method}-{answer.recipe}")
    st.dataframe(answer.table(), hide_index=True, placeholder="")
wanted, why = more_sentences(answers, int(sentences), len(data.test))
if why:
    st.info(why)
if wanted:
    st.page_link("pages/frontier.py", label=f"Ask on {wanted:,} sentences", icon=":material/add_circle:",
                 query_params={**st.query_params.to_dict(), "sentences": str(wanted)})
st.caption("Differences are pruned − dense in points, with the 95 % interval (Newcombe's paired score interval on "
           "the same sentences) and the exact McNemar p. The band is where the frontier lies given these sentences: "
           "from the highest kept to the lowest lost sparsity. More sentences narrow it.")
