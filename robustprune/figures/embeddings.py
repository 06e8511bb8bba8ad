"""The Embeddings page's data: how far apart an input and its adversarial twin sit, layer by layer.

Per layer l (0 = embedding output, l = output of encoder block l) an attack run records
cos(h_l(x), h_l(x')) for every successful example x and its adversarial x', in the dense
and the sparse model (``robustprune.attack.similarity`` states the pooling). Here they
are summarised per layer (mean, spread over examples) and, for one layer, the pairs are
drawn in two dimensions from a cached projection (``robustprune.attack.projection``: PCA
of the pooled states, computed by the worker).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from robustprune.attack.projection import projection_examples
from robustprune.attack.records import AttackExample, AttackResult
from robustprune.figures.attacks import label_colour

MEASURES = {"cosine_mean": "mean-pooled tokens", "cosine_cls": "[CLS] token"}
MEASURE_OF_POOLING = {"mean": "cosine_mean", "cls": "cosine_cls"}  # how states are pooled -> the recorded cosine
MODEL_COLOURS = {"dense": "#636efa", "sparse": "#ef553b"}


def similarity_frame(result: AttackResult) -> pd.DataFrame:
    return result.frame("layer_similarities")


def similarity_by_layer(result: AttackResult, measure: str = "cosine_mean") -> pd.DataFrame:
    """Per (model, layer): mean, standard deviation, 10th / 90th percentile and count over examples."""
    frame = similarity_frame(result)
    if frame.empty:
        return pd.DataFrame(columns=["model", "layer", "mean", "std", "q10", "q90", "count"])
    grouped = frame.groupby(["model", "layer"])[measure]
    return pd.DataFrame({"mean": grouped.mean(), "std": grouped.std(ddof=0), "q10": grouped.quantile(0.1),
                         "q90": grouped.quantile(0.9), "count": grouped.count()}).reset_index()


def similarity_figure(summary: pd.DataFrame, measure: str, selected: pd.DataFrame | None = None) -> go.Figure:
    """Mean cosine per layer, one line per model, a band from the 10th to the 90th percentile;
    the selected example's own values dashed."""
    figure = go.Figure()
    for model, part in summary.groupby("model"):
        colour = MODEL_COLOURS.get(model, "#888")
        figure.add_trace(go.Scatter(x=list(part["layer"]) + list(part["layer"])[::-1],
                                    y=list(part["q90"]) + list(part["q10"])[::-1], fill="toself", opacity=0.18,
                                    line=dict(width=0), fillcolor=colour, hoverinfo="skip",
                                    name=f"{model}: 10-90th percentile"))
        figure.add_trace(go.Scatter(x=part["layer"], y=part["mean"], mode="lines+markers", name=f"{model}: mean",
                                    line=dict(color=colour, width=3),
                                    customdata=np.stack([part["std"], part["count"]], axis=1),
                                    hovertemplate="layer %{x}: mean %{y:.4f}, std %{customdata[0]:.4f}, "
                                                  "%{customdata[1]} examples<extra></extra>"))
    if selected is not None and not selected.empty:
        for model, part in selected.groupby("model"):
            figure.add_trace(go.Scatter(x=part["layer"], y=part[measure], mode="lines", name=f"{model}: selected",
                                        line=dict(color=MODEL_COLOURS.get(model, "#888"), dash="dash", width=2)))
    figure.update_layout(title=f"cos(original, adversarial) per layer ({MEASURES[measure]})", height=380,
                         xaxis_title="layer (0 = embeddings)", yaxis_title="cosine similarity",
                         margin=dict(l=10, r=10, t=40, b=10), legend_title_text="")
    figure.update_xaxes(tickmode="linear", dtick=1)
    return figure


def example_similarity(result: AttackResult, index: int) -> pd.DataFrame:
    frame = similarity_frame(result)
    return frame[frame["index"] == index]


def projection_frame(examples: list[AttackExample], coordinates: pd.DataFrame, model: str,
                     names: list[str]) -> pd.DataFrame:
    """A stored fit's rows (index, text: original | adversarial, x, y) with ``model``'s predicted label and the text."""
    by_index = {example.index: example for example in examples}

    def name(label: int | None) -> str:
        return "?" if label is None or label < 0 else names[label] if label < len(names) else str(label)

    rows = []
    for row in coordinates.itertuples(index=False):
        example = by_index.get(int(row.index))
        if example is None:
            continue
        side, content = (("original", example.original_text) if row.text == "original"
                         else ("perturbed", example.perturbed_text))
        rows.append({"index": example.index, "text": row.text, "x": row.x, "y": row.y,
                     "label": name(getattr(example, f"{model}_label_{side}")), "content": content})
    return pd.DataFrame(rows, columns=["index", "text", "x", "y", "label", "content"])


def projection_figure(frame: pd.DataFrame, selected_index: int | None, title: str, names: list[str],
                      webgl: bool = False) -> go.Figure:
    """Originals as circles, adversarial texts as crosses, coloured by predicted label, a grey line per pair;
    the selected pair drawn large with a black outline. ``webgl``: every trace a ``go.Scattergl`` (thousands of
    pairs; ``charts.webgl`` decides)."""
    Scatter = go.Scattergl if webgl else go.Scatter
    figure = go.Figure()
    pairs = frame.pivot(index="index", columns="text", values=["x", "y"])
    # original, adversarial, a gap (NaN: plotly breaks a line there): one segment per pair, as one float array
    # (a list with None in it cost plotly's validation half a second at 5000 pairs)
    line_x, line_y = (np.column_stack([pairs[(axis, "original")].to_numpy(float),
                                       pairs[(axis, "adversarial")].to_numpy(float),
                                       np.full(len(pairs), np.nan)]).ravel() for axis in ("x", "y"))
    figure.add_trace(Scatter(x=line_x, y=line_y, mode="lines", line=dict(color="#bbbbbb", width=1),
                             hoverinfo="skip", name="pair"))
    present = set(frame["label"])
    for label in [name for name in names if name in present] + sorted(present - set(names)):
        for kind, symbol in (("original", "circle"), ("adversarial", "x")):
            part = frame[(frame["label"] == label) & (frame["text"] == kind)]
            figure.add_trace(Scatter(
                x=part["x"], y=part["y"], mode="markers", name=f"{kind}: {label}",
                marker=dict(symbol=symbol, size=9, color=label_colour(label, names)),
                customdata=np.stack([part["index"], part["content"].str.slice(0, 90)], axis=1) if len(part) else None,
                hovertemplate="example %{customdata[0]}<br>%{customdata[1]}<extra></extra>"))
    if selected_index is not None and selected_index in set(frame["index"]):
        part = frame[frame["index"] == selected_index].sort_values("text", ascending=False)
        figure.add_trace(Scatter(x=part["x"], y=part["y"], mode="lines+markers", name=f"example {selected_index}",
                                 line=dict(color="black", width=3),
                                 marker=dict(size=16, color="rgba(0,0,0,0)", line=dict(color="black", width=3))))
    figure.update_layout(title=title, height=480, margin=dict(l=10, r=10, t=40, b=10), xaxis_title="PC 1",
                         yaxis_title="PC 2", legend_title_text="")
    return figure


__all__ = ["MEASURES", "MEASURE_OF_POOLING", "similarity_by_layer", "similarity_figure", "example_similarity",
           "projection_examples", "projection_frame", "projection_figure"]
