"""The Attacks and Embeddings pages' pickers: an attacked run, then one of its attack runs (a recipe).

The data (attack runs from the store, their labels) is ``attacks``; this module draws the pickers, and says what
to do when there is nothing to pick yet.
"""

from __future__ import annotations

import streamlit as st

from robustprune.dashboard.widgets import url_selectbox
from robustprune.store import RunStore

NO_ATTACKS = "No attack runs yet."
# what each page says on an empty store, after NO_ATTACKS; the Embeddings page links to the Attacks page too
EMPTY_ATTACKS = ("Attack a pruned (or the dense) model with a TextAttack recipe under **Run a new attack** below "
                 "(or attack sentences of your own); its examples, dense vs pruned, show here.")
EMPTY_EMBEDDINGS = ("This page compares each attacked text with its adversarial twin inside the dense and the "
                    "pruned model, layer by layer: attack a model on the **Attacks** page first.")


def attack_run_picker(store: RunStore, empty: str = EMPTY_ATTACKS, form_below: bool = True):
    """Pick an attacked run, then one of its attack runs (recipe); None (after saying ``empty``: what to do to make
    one) when there are none. With ``form_below`` (the Attacks page, whose "Run a new attack" form follows), a link
    to a model not attacked yet sets that form to it."""
    from robustprune.dashboard import cached, link_checks
    from robustprune.figures.attacks import FORM_TARGET_KINDS

    infos, targets = cached.attack_runs(store)
    if not infos:
        st.info(f"{NO_ATTACKS} {empty}")
        return None
    labels = {run_id: label for label, run_id in targets.items()}
    wanted = st.query_params.get("run")
    if form_below and wanted and wanted not in labels and link_checks.fresh("run", wanted):
        record = store.get(wanted)
        if record is not None and record.kind in FORM_TARGET_KINDS:  # a model, not attacked yet
            st.query_params["target"] = wanted  # "Run a new attack" opens on it
            link_checks.said("run", wanted)  # said here: the picker shows the other runs' attacks without a toast
            st.info(f"No attacks on `{link_checks.cut(wanted)}` yet: \"Run a new attack\" below is set to attack it; the pickers "
                    "show the attacks there are.", icon=":material/info:")
    left, right = st.columns(2)
    with left:
        target = url_selectbox("Attacked run", list(labels), key="run", format_func=labels.get)
    runs = {info.run_id: info for info in infos if info.target_run_id == target}
    with right:
        attack_run_id = url_selectbox("Recipe", list(runs), key="attack",
                                      format_func=lambda run_id: runs[run_id].label)
    return runs[attack_run_id]


__all__ = ["NO_ATTACKS", "EMPTY_ATTACKS", "EMPTY_EMBEDDINGS", "attack_run_picker"]
