"""The Attacks page's "Run a new attack" form: a model to attack, a recipe and a number of examples, then the
cached attack, its job's progress or the button that submits it."""

from __future__ import annotations

import streamlit as st

from robustprune.dashboard.choices import DataChoice
from robustprune.dashboard.job_widgets import run_or_progress
from robustprune.dashboard.link_checks import checked, listed, number_in, one_of
from robustprune.dashboard.requests import attack_request
from robustprune.dashboard.widgets import cached_run, checked_task_data, dataset_picker, url_selectbox
from robustprune.store import RunStore


def attack_launcher(store: RunStore) -> None:
    """The form of a new attack, then: the cached run, its job's progress, or the button that submits it."""
    form = attack_request_form(store)
    if form is None:
        return
    target, config, model, choice = form
    data = checked_task_data(choice)
    if data is None:
        return
    request = attack_request(target, config, model, choice)
    run_id = request.run_id(data)
    if cached_run(store, run_id):
        st.success(f"This attack is cached: run `{run_id}`, in the pickers above.")
        return
    run_or_progress(request, "Attack", f"{request.config.recipe} on {request.config.num_examples} test examples runs "
                    "in the background worker, dense and sparse predictions, transfer and layer similarity included "
                    "(tens of seconds per example on a CPU).", key="submit-attack")


def attack_request_form(store: RunStore):
    """(target, attack settings, model, dataset) of the attack to make (a pruning run, or a dense model; recipe and
    number of examples): ``requests.attack_request``'s arguments; None when nothing can be attacked."""
    from robustprune.attack.recipes import RECIPES
    from robustprune.attack.run import AttackConfig
    from robustprune.attack.runs import DENSE_TARGET
    from robustprune.figures.attacks import FORM_TARGET_KINDS, pruned_label

    candidates = {record.run_id: record for record in store.list(kinds=FORM_TARGET_KINDS)}
    if not candidates:
        st.info("Nothing to attack yet: prune a model first.")
        return None

    def describe(run_id: str) -> str:
        record = candidates[run_id]
        return f"{pruned_label(record) or 'dense'} · {record.model} · {record.dataset} · {run_id}"

    options = list(candidates)
    shown = st.query_params.get("run")  # the run whose attacks the page shows: another recipe on it, by default
    left, middle, right = st.columns([3, 1, 1])
    with left:
        target = url_selectbox("Model to attack", options, key="target", format_func=describe,
                               index=options.index(shown) if shown in options else 0)
    with middle:
        recipe = checked("recipe", lambda: st.selectbox("Recipe", list(RECIPES), key="recipe", bind="query-params"),
                         listed(RECIPES), one_of(RECIPES))
    with right:
        count = checked("examples", lambda: st.number_input("Examples", 1, 1000, 10, key="examples",
                                                            bind="query-params",
                                                            help="the first n test texts are attacked"),
                        "a whole number from 1 to 1,000", number_in(1, 1000, whole=True))
    record = candidates[target]
    dataset = DataChoice(record.dataset)
    if record.dataset.startswith("file:"):
        st.caption(f"This run was made on a local file ({record.dataset}): choose it (the data folder's file, or "
                   "upload it again).")
        dataset = dataset_picker(key="attack_dataset")
    return (DENSE_TARGET if record.kind == "finetune" else target, AttackConfig(recipe=recipe, num_examples=int(count)),
            record.model, dataset)
