"""Where a run is shown in the dashboard: the page and the URL parameters of its view.

A pruning run (unstructured or structured) opens on the Prune page with ``run`` set (the
page sets its form to the run's settings); an attack run on the Attacks page; a dense
start (fine-tune or soup) on the Runs page as run A of the comparison; an example's explanation on the
Attacks page at that example, a per-layer AUC or a projection on the Embeddings page of its
attack.

A dense start has no page of its own (the Runs page's comparison lists its fields): ``dense_views`` says where
else it is seen, for the Runs page to link there instead of to itself.
"""

from __future__ import annotations

from robustprune.store import DERIVED_KINDS, PRUNING_KINDS, RunStore

RUNS_PAGE = "pages/runs.py"

PAGES = {"prune": "pages/prune.py", "structured": "pages/prune.py", "attack": "pages/attacks.py",
         "finetune": "pages/runs.py", "soup": "pages/runs.py", "attribution": "pages/attacks.py",
         "layer-auc": "pages/embeddings.py", "projection": "pages/embeddings.py", "frontier": "pages/frontier.py"}


def run_view(store: RunStore, run_id: str) -> tuple[str, dict[str, str]]:
    """(page script, query parameters) that show ``run_id``; RobustPruneError if it is not cached."""
    record = store.require(run_id)
    page = PAGES.get(record.kind, RUNS_PAGE)
    if record.kind in PRUNING_KINDS:
        return page, {"run": run_id}
    if record.kind == "attack":
        return page, {"run": record.summary["target_run_id"], "attack": run_id}
    if record.kind in DERIVED_KINDS:  # an explanation, AUC or projection opens on its attack run (and example)
        attack = store.require(record.parent)
        params = {"run": attack.summary["target_run_id"], "attack": attack.run_id}
        return page, params | ({"example": str(record.summary["example"])} if record.kind == "attribution" else {})
    if record.kind == "frontier":  # its question, as the Frontier page's widgets read it from the URL
        return page, frontier_query(record.summary["request"])
    return page, {"a": run_id}


def frontier_query(question: dict) -> dict:
    """The Frontier page's URL parameters that ask a stored frontier's question (``FrontierRequest.key``)."""
    sweep = question["sweep"]
    query = {"model": sweep["model"], "dataset": sweep["dataset"], "methods": list(sweep["methods"]),
             "recipe": sweep["recipes"][0], "sentences": str(sweep["num_examples"]),
             "margin": str(float(question["margin_points"])), "resolution": str(float(question["resolution"]) * 100)}
    if question.get("preset") == "paper":  # the page's toggle; its krp is the paper's krp+refit
        query |= {"paper": "true", "methods": [method.removesuffix("+refit") for method in sweep["methods"]]}
    return query


def dense_views(store: RunStore, run_id: str) -> list[tuple[str, str, dict[str, str]]]:
    """(label, page script, query parameters) of the views that show a dense start: the Overview's trade-off of its
    model and dataset, whose lines start from it at x = 0 (once it is pruned), and the Attacks page, with the attacks
    on it, or "Run a new attack" set to attack it (a fine-tune: what that form offers)."""
    from robustprune.figures.attacks import ATTACK_KIND, FORM_TARGET_KINDS

    record = store.require(run_id)
    views = []
    pruned = next(iter(store.list(kinds=PRUNING_KINDS, parent=run_id)), None)
    if pruned is not None:  # the Overview picks a model and dataset as its pruning runs name them
        views.append(("Overview: its pruning runs", "pages/overview.py",
                      {"model": pruned.model, "dataset": pruned.dataset}))
    if store.list(kind=ATTACK_KIND, parent=run_id):  # an attack's parent is the run it attacked
        views.append(("Attacks: the attacks on it", "pages/attacks.py", {"run": run_id}))
    elif record.kind in FORM_TARGET_KINDS:
        views.append(("Attacks: attack it", "pages/attacks.py", {"run": run_id}))
    return views


__all__ = ["RUNS_PAGE", "run_view", "dense_views"]
