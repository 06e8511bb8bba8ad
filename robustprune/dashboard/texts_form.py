"""The Attacks page's "attack your own sentences" section: a form, two jobs, two results side by side.

Streamlit only: parsing and the requests are ``texts_attack.py``; the attacks run in the
worker like every other job.
"""

from __future__ import annotations

import streamlit as st

from robustprune.dashboard import cached, job_progress, job_widgets
from robustprune.dashboard.texts_attack import parse_pasted, side_by_side_requests
from robustprune.errors import RobustPruneError
from robustprune.figures import attacks
from robustprune.store import PRUNING_KINDS, RunStore

EXAMPLE = "positive: a gripping, beautifully acted film\nnegative: the plot is thin and the jokes fall flat"
SIDES = {"dense": "Dense", "pruned": "Pruned"}
SHOWN_MEMORY = "texts_target-shown"  # the page's run when the form last followed it


def texts_attack_panel(store: RunStore, shown: tuple[str | None, ...] = ()) -> None:
    """Pick a pruning run and a recipe, paste sentences; attack them on its dense parent and on it. The model
    picked at first is the first of ``shown`` (the runs the page is about, most specific first) that is a pruning
    run; it follows the page when that changes."""
    from robustprune.attack.recipes import RECIPES

    pruned = {record.run_id: record for record in store.list(kinds=PRUNING_KINDS)}
    if not pruned:
        st.info("Nothing to compare yet: prune a model first, then attack your sentences on it and its dense model.")
        return
    options = list(pruned)
    shown = next((run_id for run_id in shown if run_id in pruned), None)
    if st.session_state.get("texts_target") not in options:
        st.session_state.pop("texts_target", None)
    # opened, or the page moved to another run: the form follows the page (a choice made in it holds until then)
    if shown and ("texts_target" not in st.session_state or st.session_state.get(SHOWN_MEMORY) != shown):
        st.session_state["texts_target"] = shown
    st.session_state[SHOWN_MEMORY] = shown
    left, right = st.columns([3, 1])
    with left:
        target = st.selectbox("Pruned model (its dense model is attacked too)", options, key="texts_target",
                              format_func=lambda run_id: f"{attacks.pruned_label(pruned[run_id])} · "
                                                         f"{pruned[run_id].model} · {run_id}")
    with right:
        recipe = st.selectbox("Recipe", list(RECIPES), key="texts_recipe")
    names = attacks.label_names(store, pruned[target].parent)
    pasted = st.text_area("Sentences, one a line", EXAMPLE, key="texts_pasted", height=120,
                          help=f"Prefix a line with its label ({', '.join(names)} or its number, then a colon) "
                               "to attack against that label; without labels the dense model's predictions are "
                               "the labels. One sentence alone works too.")
    try:
        texts = parse_pasted(pasted, names)
        requests = side_by_side_requests(store, target, recipe, texts)
    except RobustPruneError as error:
        st.error(str(error))
        return
    done = {side: store.get(request.run_id(store=store)) for side, request in requests.items()}
    if all(done.values()):
        _side_by_side(store, {side: record.run_id for side, record in done.items()}, names, pruned[target])
        return
    jobs = {side: job_progress.find_job(request) for side, request in requests.items()}
    running = [job for job in jobs.values() if job is not None and job.status in ("queued", "running", "failed")]
    if running:
        for job in running:
            job_widgets.job_panel(job.job_id)
        return
    st.info(f"{recipe} on {len(texts.texts)} sentence(s), on the dense and the pruned model: two jobs in the "
            "background worker (tens of seconds per sentence on a CPU).")
    if st.button("Run on both models", type="primary", key="submit-texts-attack"):
        try:
            for side, request in requests.items():
                if done[side] is None:
                    job_progress.submit(request)
        except RobustPruneError as error:
            st.error(str(error))
            return
        st.rerun()


def _side_by_side(store: RunStore, run_ids: dict[str, str], names: list[str], pruned_record) -> None:
    results = {side: cached.attack_result(store, run_id) for side, run_id in run_ids.items()}
    columns = st.columns(2)
    for column, (side, result) in zip(columns, results.items()):
        summary = result.summary
        with column:
            title = SIDES[side] if side == "dense" else f"{SIDES[side]} ({attacks.pruned_label(pruned_record)})"
            st.markdown(f"**{title}**: {summary.successful_attacks} of "
                        f"{summary.num_examples - summary.skipped_attacks} attacks succeeded "
                        f"(`{run_ids[side]}`)")
            for example in result.examples:
                original, perturbed = attacks.example_html(example)
                label = names[example.label] if example.label < len(names) else str(example.label)
                st.caption(f"{example.index + 1}. {example.result} · label {label}")
                st.markdown(original if example.result == "skipped" else perturbed, unsafe_allow_html=True)
            st.caption("Parts: " + "; ".join(f"{part}: {source}" for part, source in summary.parts.items()))
