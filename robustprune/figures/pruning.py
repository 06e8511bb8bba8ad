"""The Prune page's data: per-layer reconstruction error and sparsity, accuracy dense vs sparse.

A pruning run records, for every Linear of every encoder block, the *local* error (the
layer's own: dense vs sparse weights on the same inputs) and the *end-to-end* error
(dense model vs sparse model at that layer, everything below included). Methods that
correct the error carried up from below (krp) keep the end-to-end error close to the
local one; methods that do not (sparsegpt) let it grow with depth.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from robustprune.labels import method_label, prune_label, run_method_label
from robustprune.prune.results import PruneResult
from robustprune.store import RunStore

SUBLAYER_LABELS = {"query": "Q", "key": "K", "value": "V", "attention_output": "O", "ffn_in": "FFN in",
                   "ffn_out": "FFN out"}

ERROR_COLUMNS = {"reconstruction_error_local": "local", "reconstruction_error_e2e": "end-to-end"}
PALETTE = ["#ef553b", "#636efa", "#00cc96", "#ab63fa", "#ffa15a", "#19d3f3"]


def layer_frame(result: PruneResult) -> pd.DataFrame:
    """One row per pruned Linear: block, sub-layer label, position over depth, sparsity, both errors."""
    rows = [{"block": layer.block, "sublayer": SUBLAYER_LABELS.get(layer.sublayer, layer.sublayer),
             "layer": f"{layer.block}.{SUBLAYER_LABELS.get(layer.sublayer, layer.sublayer)}", "name": layer.name,
             "sparsity": layer.sparsity, **{column: getattr(layer, column) for column in ERROR_COLUMNS}}
            for layer in result.layers]
    frame = pd.DataFrame(rows, columns=["block", "sublayer", "layer", "name", "sparsity", *ERROR_COLUMNS])
    frame["depth"] = range(len(frame))
    return frame


def error_heatmaps(frame: pd.DataFrame) -> go.Figure:
    """Local and end-to-end error as sub-layer (rows, forward order) x block heatmaps, side by side on one
    colour scale, so that what the end-to-end error adds over the local one shows as colour."""
    from plotly.subplots import make_subplots

    order = [label for label in SUBLAYER_LABELS.values() if label in set(frame["sublayer"])]
    zmax = float(frame[list(ERROR_COLUMNS)].max().max()) if len(frame) else 1.0
    figure = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.04,
                           subplot_titles=[f"{name} reconstruction error" for name in ERROR_COLUMNS.values()])
    for column_number, column in enumerate(ERROR_COLUMNS, 1):
        grid = frame.pivot(index="sublayer", columns="block", values=column).reindex(order)
        figure.add_trace(go.Heatmap(
            z=grid.to_numpy(), x=list(grid.columns), y=order, coloraxis="coloraxis", texttemplate="%{z:.3f}",
            name=ERROR_COLUMNS[column], hovertemplate="block %{x}, %{y}: %{z:.4f}<extra>%{fullData.name}</extra>"),
            row=1, col=column_number)
    figure.update_layout(coloraxis=dict(colorscale="Reds", cmin=0, cmax=zmax, colorbar=dict(title="error")),
                         height=340, margin=dict(l=10, r=10, t=40, b=10))
    figure.update_xaxes(title="layer (encoder block)", tickmode="linear", dtick=1)
    figure.update_yaxes(autorange="reversed")
    figure.update_yaxes(title="sub-layer", row=1, col=1)
    return figure


def depth_frame(runs: dict[str, PruneResult]) -> pd.DataFrame:
    """Long form for the depth lines: (run label, depth, layer, error kind, value) for each run."""
    parts = []
    for label, result in runs.items():
        frame = layer_frame(result).melt(id_vars=["depth", "layer", "block", "sublayer"],
                                         value_vars=list(ERROR_COLUMNS), var_name="error", value_name="value")
        frame["error"] = frame["error"].map(ERROR_COLUMNS)
        frame["run"] = label
        parts.append(frame)
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["depth", "layer", "block", "sublayer", "error", "value", "run"])


def depth_figure(frame: pd.DataFrame) -> go.Figure:
    """Error over depth (Linears in forward order): local dotted, end-to-end solid, one colour per run."""
    figure = go.Figure()
    for number, (run, part) in enumerate(frame.groupby("run", sort=False)):
        for error, dash in (("end-to-end", "solid"), ("local", "dot")):
            line = part[part["error"] == error]
            figure.add_trace(go.Scatter(
                x=line["depth"], y=line["value"], mode="lines+markers", name=f"{run} · {error}",
                legendgroup=run, line=dict(color=PALETTE[number % len(PALETTE)], dash=dash),
                customdata=line[["layer"]], hovertemplate="%{customdata[0]}: %{y:.4f}<extra>" + run + "</extra>"))
    ticks = frame.drop_duplicates("depth").sort_values("depth")
    figure.update_layout(title="Reconstruction error over depth: local (dotted) vs end-to-end (solid)", height=380,
                         margin=dict(l=10, r=10, t=40, b=10), yaxis_title="reconstruction error")
    figure.update_xaxes(title="layer . sub-layer (forward order)", tickmode="array", tickvals=ticks["depth"],
                        ticktext=ticks["layer"], tickangle=-60)
    return figure


def sparsity_figure(frame: pd.DataFrame, target: float) -> go.Figure:
    """Achieved sparsity of each Linear, coloured by sub-layer, with the target as a line."""
    figure = go.Figure()
    for number, sublayer in enumerate(SUBLAYER_LABELS.values()):
        part = frame[frame["sublayer"] == sublayer]
        if len(part):
            figure.add_trace(go.Bar(x=part["layer"], y=part["sparsity"], name=sublayer,
                                    marker_color=PALETTE[number % len(PALETTE)],
                                    hovertemplate="%{x}: %{y:.4f}<extra></extra>"))
    figure.add_hline(y=target, line_dash="dash", annotation_text=f"target {target:.1%}")
    figure.update_layout(title="Achieved sparsity per layer", height=320, margin=dict(l=10, r=10, t=40, b=10),
                         yaxis=dict(range=[0, 1], title="fraction of zero weights", tickformat=".0%"),
                         xaxis=dict(title="layer . sub-layer", categoryorder="array",
                                    categoryarray=list(frame["layer"])))
    return figure


def accuracy_figure(result: PruneResult) -> go.Figure:
    names = ["dense", f"sparse ({result.method}, {result.sparsity:.1%})"]
    values = [result.accuracy_dense, result.accuracy_sparse]
    figure = go.Figure(go.Bar(x=names, y=values, text=[f"{value:.1%}" for value in values],
                              marker_color=["#636efa", "#ef553b"]))
    figure.update_layout(title="Test accuracy", height=320, margin=dict(l=10, r=10, t=40, b=10),
                         yaxis=dict(range=[0, 1], tickformat=".0%"))
    return figure


def comparison_runs(store: RunStore, result: PruneResult) -> dict[str, str]:
    """Other cached methods at the same sparsity target from the same dense model: label -> run id.

    The story of the page: krp against sparsegpt at equal sparsity.
    """
    comparable = {}
    for record in store.list(kind="prune", model=result.model, dataset=result.dataset):
        summary = record.summary
        if (record.run_id != result.run_id and record.parent == result.dense_run_id
                and abs(summary.get("target_sparsity", -1) - result.target_sparsity) < 1e-9):
            comparable.setdefault(f"{run_method_label(record)} ({record.run_id})", record.run_id)
    return comparable


def default_comparison(options: dict[str, str], method: str, pattern: str | None = None) -> str | None:
    """krp is compared with sparsegpt, every other method with krp, with the same N:M pattern (or none)."""
    wanted = method_label("sparsegpt" if method == "krp" else "krp", pattern)
    return next((label for label in options if label.startswith(f"{wanted} (")), None)


def run_label(result: PruneResult) -> str:
    return prune_label(result.method, result.config.get("pattern"), result.sparsity)


def result_metrics(result: PruneResult) -> dict[str, str]:
    """The headline numbers, formatted."""
    return {"accuracy dense": f"{result.accuracy_dense:.1%}", "accuracy sparse": f"{result.accuracy_sparse:.1%}",
            "achieved sparsity": f"{result.sparsity:.2%}", "pruning time": f"{result.prune_seconds:.1f} s"}


__all__ = ["layer_frame", "error_heatmaps", "depth_frame", "depth_figure", "sparsity_figure",
           "accuracy_figure", "comparison_runs", "default_comparison", "run_label", "result_metrics"]
