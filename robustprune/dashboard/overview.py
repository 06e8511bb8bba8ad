"""The Overview page's data: the trade-off curves of every cached run of a model and dataset.

x is the achieved sparsity of a pruning run; y its clean test accuracy, or its accuracy
under attack (from attack runs on it). Every method's line starts from the dense model
(sparsity 0), the point they all share.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from robustprune.dashboard.attacks import list_attack_runs
from robustprune.dashboard.choices import METHOD_ORDER
from robustprune.store import RunStore

CLEAN, UNDER_ATTACK = "clean accuracy", "accuracy under attack"
COLUMNS = ["method", "sparsity", "metric", "accuracy", "run", "recipe"]
METHOD_COLOURS = {"krp": "#ef553b", "sparsegpt": "#636efa", "wanda": "#00cc96", "magnitude": "#ab63fa"}
PALETTE = ["#ffa15a", "#19d3f3", "#ff6692", "#b6e880"]


def model_dataset_pairs(store: RunStore | None = None) -> list[tuple[str, str]]:
    """(model, dataset) of every cached pruning run, most recent first."""
    pairs = [(record.model, record.dataset) for record in (store or RunStore()).list(kind="prune")]
    return list(dict.fromkeys(pairs))


def tradeoff_frame(store: RunStore | None, model: str, dataset: str, recipe: str | None = None) -> pd.DataFrame:
    """Long form: one row per (run, metric) point; ``recipe`` picks the attack runs (None: all)."""
    store = store or RunStore()
    prunes = store.list(kind="prune", model=model, dataset=dataset)
    rows, dense_points = [], {}
    for record in prunes:
        summary = record.summary
        rows.append({"method": record.method, "sparsity": summary["sparsity"], "metric": CLEAN,
                     "accuracy": summary["accuracy_sparse"], "run": record.run_id, "recipe": ""})
        dense_points.setdefault(record.parent, summary["accuracy_dense"])
    methods = sorted({record.method for record in prunes}, key=method_rank)
    for dense_run_id, accuracy in dense_points.items():
        rows += [{"method": method, "sparsity": 0.0, "metric": CLEAN, "accuracy": accuracy, "run": dense_run_id,
                  "recipe": ""} for method in methods]
    sparsity_of = {record.run_id: (record.method, record.summary["sparsity"]) for record in prunes}
    for info in list_attack_runs(store):
        if recipe is not None and info.recipe != recipe:
            continue
        if info.target_run_id in sparsity_of and info.attacked_model == "sparse":
            method, sparsity = sparsity_of[info.target_run_id]
            targets = [(method, sparsity)]
        elif info.target_run_id in sparsity_of or info.target_run_id in dense_points:  # the dense model attacked
            targets = [(method, 0.0) for method in methods]
        else:
            continue
        rows += [{"method": method, "sparsity": sparsity, "metric": UNDER_ATTACK,
                  "accuracy": info.summary.accuracy_under_attack, "run": info.run_id, "recipe": info.recipe}
                 for method, sparsity in targets]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame.sort_values(["metric", "method", "sparsity"], kind="stable").reset_index(drop=True)


def attack_recipes(store: RunStore | None = None) -> list[str]:
    return sorted({info.recipe for info in list_attack_runs(store)})


def method_rank(method: str) -> tuple[int, str]:
    return (METHOD_ORDER.index(method) if method in METHOD_ORDER else len(METHOD_ORDER), method)


def tradeoff_figure(frame: pd.DataFrame) -> go.Figure:
    """Accuracy vs sparsity, clean and under attack side by side, a line per method, a point per run."""
    from plotly.subplots import make_subplots

    metrics = [metric for metric in (CLEAN, UNDER_ATTACK) if metric in set(frame["metric"])] or [CLEAN]
    figure = make_subplots(rows=1, cols=len(metrics), shared_yaxes=True, subplot_titles=metrics,
                           horizontal_spacing=0.05)
    methods = sorted(set(frame["method"]), key=method_rank)
    for number, method in enumerate(methods):
        shown = False
        for column, metric in enumerate(metrics, 1):
            points = frame[(frame["method"] == method) & (frame["metric"] == metric)]
            if points.empty:
                continue
            figure.add_trace(go.Scatter(
                x=points["sparsity"], y=points["accuracy"], mode="lines+markers", name=method, legendgroup=method,
                showlegend=not shown, marker=dict(size=9),
                line=dict(color=METHOD_COLOURS.get(method, PALETTE[number % len(PALETTE)])),
                customdata=points[["run", "recipe"]],
                hovertemplate="%{customdata[0]}<br>" + method + " at %{x:.1%}: %{y:.1%} " + metric.split()[0]
                              + "<extra>%{customdata[1]}</extra>"), row=1, col=column)
            shown = True
    figure.update_xaxes(tickformat=".0%", range=[-0.03, 1.0], title="sparsity")
    figure.update_yaxes(tickformat=".0%", range=[0, 1.02])
    figure.update_yaxes(title="accuracy", row=1, col=1)
    figure.update_layout(height=420, margin=dict(l=10, r=10, t=40, b=10), legend_title_text="method")
    return figure


def runs_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The points as a table: one row per pruning run, clean and under-attack accuracy in columns."""
    if frame.empty:
        return frame
    table = frame.pivot_table(index=["method", "sparsity"], columns="metric", values="accuracy",
                              aggfunc="first").reset_index()
    table["rank"] = table["method"].map(method_rank)
    columns = ["method", "sparsity", *(metric for metric in (CLEAN, UNDER_ATTACK) if metric in table.columns)]
    return table.sort_values(["rank", "sparsity"])[columns].reset_index(drop=True)


__all__ = ["CLEAN", "UNDER_ATTACK", "model_dataset_pairs", "tradeoff_frame", "attack_recipes", "tradeoff_figure",
           "runs_table"]
