"""Tables of cached runs."""

from __future__ import annotations

import pandas as pd

from robustprune.store import RunStore


def list_runs_frame(store: RunStore | None = None) -> pd.DataFrame:
    rows = []
    for record in (store or RunStore()).list():
        summary = record.summary
        rows.append({"run": record.run_id, "kind": record.kind, "model": record.model, "dataset": record.dataset,
                     "method": record.method, "sparsity": summary.get("sparsity"),
                     "accuracy": summary.get("accuracy_sparse", summary.get("accuracy"))})
    return pd.DataFrame(rows, columns=["run", "kind", "model", "dataset", "method", "sparsity", "accuracy"])
