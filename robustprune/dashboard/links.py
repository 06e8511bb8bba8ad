"""Where a run is shown in the dashboard: the page and the URL parameters of its view.

A pruning run (unstructured or structured) opens on the Prune page with ``run`` set (the
page sets its form to the run's settings); an attack run on the Attacks page; a dense
start (fine-tune or soup) on the Runs page as run A of the comparison; an example's explanation on the
Attacks page at that example, a per-layer AUC or a projection on the Embeddings page of its
attack.
"""

from __future__ import annotations

from robustprune.store import DERIVED_KINDS, RunStore

PAGES = {"prune": "pages/prune.py", "structured": "pages/prune.py", "attack": "pages/attacks.py",
         "finetune": "pages/runs.py", "soup": "pages/runs.py", "attribution": "pages/attacks.py",
         "layer-auc": "pages/embeddings.py", "projection": "pages/embeddings.py"}


def run_view(store: RunStore, run_id: str) -> tuple[str, dict[str, str]]:
    """(page script, query parameters) that show ``run_id``; RobustPruneError if it is not cached."""
    record = store.require(run_id)
    page = PAGES.get(record.kind, "pages/runs.py")
    if record.kind in ("prune", "structured"):
        return page, {"run": run_id}
    if record.kind == "attack":
        return page, {"run": record.summary["target_run_id"], "attack": run_id}
    if record.kind in DERIVED_KINDS:  # an explanation, AUC or projection opens on its attack run (and example)
        attack = store.require(record.parent)
        params = {"run": attack.summary["target_run_id"], "attack": attack.run_id}
        return page, params | ({"example": str(record.summary["example"])} if record.kind == "attribution" else {})
    return page, {"a": run_id}


__all__ = ["run_view"]
