"""The Overview page's data: the trade-off curves of every cached run of a model and dataset.

x is the achieved sparsity of an unstructured pruning run, or the fraction of FLOPs a
structured run (K-prune, structured magnitude) removed, in a figure of its own; y its clean
test accuracy, or its accuracy under attack (from attack runs on it). Every line starts
from its dense start at x = 0: the fine-tuned model, or the greedy soup for the lines of
soup-started runs. A line is a method with its N:M pattern and dense start
(``robustprune.labels.line_label``: "krp", "krp 2:4", "krp (soup)"). Each point carries its
run id, so a click opens that run.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from robustprune.dashboard.attacks import list_attack_runs
from robustprune.dashboard.choices import METHOD_ORDER
from robustprune.labels import line_label, line_method, line_pattern
from robustprune.store import RunStore

CLEAN, UNDER_ATTACK = "clean accuracy", "accuracy under attack"
PRUNING_KINDS = ("prune", "structured")
X_TITLES = {"prune": "sparsity", "structured": "FLOPs removed"}
COLUMNS = ["method", "sparsity", "metric", "accuracy", "run", "recipe"]
METHOD_COLOURS = {"krp": "#ef553b", "sparsegpt": "#636efa", "wanda": "#00cc96", "magnitude": "#ab63fa",
                  "kprune": "#ef553b", "structured-magnitude": "#ab63fa"}
PALETTE = ["#ffa15a", "#19d3f3", "#ff6692", "#b6e880"]


def model_dataset_pairs(store: RunStore | None = None) -> list[tuple[str, str]]:
    """(model, dataset) of every cached pruning run (unstructured or structured), most recent first."""
    pairs = [(record.model, record.dataset) for record in (store or RunStore()).list()
             if record.kind in PRUNING_KINDS]
    return list(dict.fromkeys(pairs))


def budget(record) -> float:
    """x of a run: the achieved sparsity, or for a structured run the fraction of FLOPs removed."""
    summary = record.summary
    if record.kind == "structured":
        return 1.0 - summary["flops_ratio"]  # StructuredResult.flops_ratio, stored with the run
    return summary["sparsity"]


def tradeoff_frame(store: RunStore | None, model: str, dataset: str, recipe: str | None = None,
                   kind: str = "prune") -> pd.DataFrame:
    """Long form: one row per (run, metric) point of the pruning runs of ``kind`` ("prune": x is the sparsity;
    "structured": x is the fraction of FLOPs removed); ``recipe`` picks the attack runs (None: all).

    Each line starts at x = 0 from its own dense start (a fine-tuned model, or the soup).
    """
    store = store or RunStore()
    runs = store.list(kind=kind, model=model, dataset=dataset)
    rows, dense_of_line = [], {}
    for record in runs:
        line = line_label(record)
        rows.append({"method": line, "sparsity": budget(record), "metric": CLEAN,
                     "accuracy": record.summary["accuracy_sparse"], "run": record.run_id, "recipe": ""})
        dense_of_line.setdefault((line, record.parent), record.summary["accuracy_dense"])
    rows += [{"method": line, "sparsity": 0.0, "metric": CLEAN, "accuracy": accuracy, "run": parent, "recipe": ""}
             for (line, parent), accuracy in dense_of_line.items()]
    point_of = {record.run_id: (line_label(record), budget(record)) for record in runs}
    for info in list_attack_runs(store):
        if recipe is not None and info.recipe != recipe:
            continue
        if info.target_run_id in point_of and info.attacked_model == "sparse":
            targets = [point_of[info.target_run_id]]
        else:  # the dense model attacked: the start of every line that grew from it
            targets = [(line, 0.0) for line, parent in dense_of_line if parent == info.target_run_id]
        rows += [{"method": line, "sparsity": x, "metric": UNDER_ATTACK,
                  "accuracy": info.summary.accuracy_under_attack, "run": info.run_id, "recipe": info.recipe}
                 for line, x in targets]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame.sort_values(["metric", "method", "sparsity"], kind="stable").reset_index(drop=True)


def attack_recipes(store: RunStore | None = None) -> list[str]:
    return sorted({info.recipe for info in list_attack_runs(store)})


def method_rank(line: str) -> tuple[int, str]:
    method = line_method(line)
    return (METHOD_ORDER.index(method) if method in METHOD_ORDER else len(METHOD_ORDER), line)


def tradeoff_figure(frame: pd.DataFrame, x_title: str = "sparsity") -> go.Figure:
    """Accuracy vs sparsity (or FLOPs removed), clean and under attack side by side, a line per method,
    a point per run; an N:M line is dotted, a soup-started line dashed (both: dash-dot)."""
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
                line=dict(color=METHOD_COLOURS.get(line_method(method), PALETTE[number % len(PALETTE)]),
                          dash=line_dash(method)),
                customdata=points[["run", "recipe"]],
                hovertemplate="%{customdata[0]}<br>" + method + " at %{x:.1%} " + x_title + ": %{y:.1%} "
                              + metric.split()[0] + "<br>click to open<extra>%{customdata[1]}</extra>"),
                row=1, col=column)
            shown = True
    figure.update_xaxes(tickformat=".0%", range=[-0.03, 1.0], title=x_title)
    figure.update_yaxes(tickformat=".0%", range=[0, 1.02])
    figure.update_yaxes(title="accuracy", row=1, col=1)
    figure.update_layout(height=420, margin=dict(l=10, r=10, t=40, b=10), legend_title_text="method",
                         clickmode="event+select")
    return figure


def line_dash(line: str) -> str:
    """Solid for a method's own line; dotted for its N:M runs, dashed from the soup, dash-dot for both."""
    nm, soup = line_pattern(line) is not None, " (" in line
    return {(False, False): "solid", (True, False): "dot", (False, True): "dash", (True, True): "dashdot"}[(nm, soup)]


def clicked_run(selection) -> str | None:
    """The run id behind the point a user clicked (a chart's selection state), or None."""
    points = (selection or {}).get("points") or []
    for point in points:
        customdata = point.get("customdata") or []
        if customdata and customdata[0]:
            return str(customdata[0])
    return None


def runs_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The points as a table: one row per pruning run, clean and under-attack accuracy in columns."""
    if frame.empty:
        return frame
    table = frame.pivot_table(index=["method", "sparsity"], columns="metric", values="accuracy",
                              aggfunc="first").reset_index()
    table["rank"] = table["method"].map(method_rank)
    columns = ["method", "sparsity", *(metric for metric in (CLEAN, UNDER_ATTACK) if metric in table.columns)]
    return table.sort_values(["rank", "sparsity"])[columns].reset_index(drop=True)


__all__ = ["CLEAN", "UNDER_ATTACK", "PRUNING_KINDS", "X_TITLES", "model_dataset_pairs", "tradeoff_frame",
           "attack_recipes", "tradeoff_figure", "clicked_run", "runs_table"]
