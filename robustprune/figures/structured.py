"""The Prune page's data for structured runs (K-prune, structured magnitude).

A structured run removes whole attention heads and FFN neurons until a FLOPs budget is
met, so what a user looks at is different from an unstructured run: how many heads and
neurons each layer kept, the FLOPs and parameters before and after, and, for K-prune, each
sub-layer's reconstruction error with and without the least-squares weight tuning.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from robustprune.store import RunStore
from robustprune.structured.runs import StructuredRun

KEPT, REMOVED = "#636efa", "#d3d7e0"
SUBLAYER_KINDS = {"mha": "attention (heads)", "ffn": "FFN (neurons)"}


def read_structured_run(store: RunStore, run_id: str) -> StructuredRun:
    return StructuredRun.from_summary(store.require(run_id).summary, cached=True)


def structured_metrics(run: StructuredRun) -> dict[str, str]:
    """The headline numbers, formatted."""
    result = run.result
    return {"accuracy dense": f"{run.accuracy_dense:.1%}", "accuracy pruned": f"{run.accuracy_sparse:.1%}",
            f"FLOPs kept (target ≤ {1 - result.flops_reduction:.0%})": f"{result.flops_ratio:.1%}",
            f"parameters (dense {result.params_before / 1e6:.1f}M)": f"{result.params_after / 1e6:.1f}M",
            "pruning time": f"{run.prune_seconds:.1f} s"}


def units_frame(run: StructuredRun) -> pd.DataFrame:
    """One row per (layer, unit kind): units before and kept."""
    result = run.result
    rows = [{"layer": layer, "unit": kind, "before": before, "kept": kept}
            for kind, befores, kepts in (("heads", result.heads_before, result.heads_kept),
                                         ("neurons", result.neurons_before, result.neurons_kept))
            for layer, (before, kept) in enumerate(zip(befores, kepts))]
    return pd.DataFrame(rows, columns=["layer", "unit", "before", "kept"])


def units_figure(frame: pd.DataFrame) -> go.Figure:
    """Heads and neurons kept per layer, stacked on what was removed (the model's new shape)."""
    from plotly.subplots import make_subplots

    figure = make_subplots(rows=1, cols=2, subplot_titles=["attention heads kept", "FFN neurons kept"],
                           horizontal_spacing=0.08)
    for column, unit in enumerate(("heads", "neurons"), 1):
        part = frame[frame["unit"] == unit]
        figure.add_trace(go.Bar(x=part["layer"], y=part["kept"], name="kept", marker_color=KEPT,
                                showlegend=column == 1, legendgroup="kept",
                                hovertemplate="layer %{x}: %{y} " + unit + " kept<extra></extra>"), row=1, col=column)
        figure.add_trace(go.Bar(x=part["layer"], y=part["before"] - part["kept"], name="removed",
                                marker_color=REMOVED, showlegend=column == 1, legendgroup="removed",
                                hovertemplate="layer %{x}: %{y} " + unit + " removed<extra></extra>"), row=1, col=column)
    figure.update_layout(barmode="stack", height=320, margin=dict(l=10, r=10, t=40, b=10))
    figure.update_xaxes(title="layer (encoder block)", tickmode="linear", dtick=1)
    return figure


def sublayer_error_frame(runs: dict[str, StructuredRun]) -> pd.DataFrame:
    """Long form: (run label, sub-layer, tuned or not, error) for runs that recorded sub-layer errors."""
    rows = [{"run": label, "sublayer": f"{record.layer}.{'MHA' if record.kind == 'mha' else 'FFN'}",
             "order": 2 * record.layer + (record.kind == "ffn"), "tuning": tuning, "error": error}
            for label, run in runs.items() for record in run.result.sublayers
            for tuning, error in (("untuned", record.reconstruction_error_untuned),
                                  ("tuned", record.reconstruction_error_tuned))]
    return pd.DataFrame(rows, columns=["run", "sublayer", "order", "tuning", "error"])


def sublayer_error_figure(frame: pd.DataFrame) -> go.Figure:
    """K-prune's sub-layer reconstruction error over depth: before (dotted) and after (solid) weight tuning."""
    figure = go.Figure()
    palette = ["#ef553b", "#636efa", "#00cc96", "#ab63fa"]
    for number, (run, part) in enumerate(frame.groupby("run", sort=False)):
        for tuning, dash in (("tuned", "solid"), ("untuned", "dot")):
            line = part[part["tuning"] == tuning].sort_values("order")
            figure.add_trace(go.Scatter(x=line["sublayer"], y=line["error"], mode="lines+markers",
                                        name=f"{run} · {tuning}", line=dict(color=palette[number % 4], dash=dash),
                                        hovertemplate="%{x}: %{y:.4f}<extra>" + run + "</extra>"))
    figure.update_layout(title="Sub-layer reconstruction error: with (solid) and without (dotted) weight tuning",
                         height=340, margin=dict(l=10, r=10, t=40, b=10), yaxis_title="reconstruction error",
                         xaxis_title="layer . sub-layer (forward order)")
    return figure


def comparison_runs(store: RunStore, run: StructuredRun) -> dict[str, str]:
    """Other structured runs at the same FLOPs target from the same dense start: label -> run id."""
    comparable = {}
    for record in store.list(kind="structured", model=run.model, dataset=run.dataset):
        if (record.run_id != run.run_id and record.parent == run.dense_run_id
                and abs(record.summary.get("flops_reduction", -1) - run.result.flops_reduction) < 1e-9):
            comparable.setdefault(f"{record.method} ({record.run_id})", record.run_id)
    return comparable


def comparison_table(runs: dict[str, StructuredRun]) -> pd.DataFrame:
    """Side by side: accuracy, FLOPs and parameters kept, heads and neurons kept in all."""
    rows = [{"run": label, "accuracy": f"{run.accuracy_sparse:.1%}", "FLOPs kept": f"{run.result.flops_ratio:.1%}",
             "parameters": f"{run.result.params_after / 1e6:.2f}M",
             "heads kept": f"{sum(run.result.heads_kept)} / {sum(run.result.heads_before)}",
             "neurons kept": f"{sum(run.result.neurons_kept)} / {sum(run.result.neurons_before)}"}
            for label, run in runs.items()]
    return pd.DataFrame(rows)


def run_label(run: StructuredRun) -> str:
    return f"{run.method} −{run.result.flops_reduction:.0%} FLOPs"


__all__ = ["read_structured_run", "structured_metrics", "units_frame", "units_figure", "sublayer_error_frame",
           "sublayer_error_figure", "comparison_runs", "comparison_table", "run_label"]
