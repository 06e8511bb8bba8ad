"""Why an example flips the sparse model, as the Attacks and Embeddings pages (and the report) draw it.

From cached runs only (``robustprune.attack.explain``, ``robustprune.attack.layer_auc``):
the four rows of word attributions (dense and sparse model, original and adversarial text)
aligned word by word, the dense–sparse cosine of one example per layer beside the pruning
run's per-layer reconstruction error, and over a whole attack run the per-layer AUC of the
dense–sparse divergence for the examples that flip the sparse model only.
"""

from __future__ import annotations

import html
import math

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from robustprune.attack.changes import aligned_words, words
from robustprune.attack.explain import ExampleExplanation
from robustprune.attack.layer_auc import BlockErrors, LayerFlipAUC

ROWS = (("dense", "original"), ("sparse", "original"), ("dense", "perturbed"), ("sparse", "perturbed"))
SIDE_NAMES = {"original": "original", "perturbed": "adversarial"}
CELL_STYLE = ("display:block;padding:0 3px;margin:1px 0;border-radius:3px;white-space:nowrap;min-height:1.5em;"
              "font-size:0.95rem;border:2px solid transparent;")
LABEL_STYLE = CELL_STYLE + "font-size:0.8rem;color:#495057;font-weight:600"
COLUMN_STYLE = "display:inline-flex;flex-direction:column;margin:0 1px 6px 0;vertical-align:top"
ERROR_COLOUR, AUC_COLOUR, ORIGINAL_COLOUR = "#adb5bd", "#ef553b", "#636efa"


def attribution_colour(value: float, scale: float) -> str:
    """Green for evidence for the class, red against; the alpha grows with |value| / scale."""
    if not scale or math.isnan(value):
        return "transparent"
    strength = min(abs(value) / scale, 1.0)
    rgb = "47,158,68" if value > 0 else "224,49,49"
    return f"rgba({rgb},{0.08 + 0.72 * strength:.2f})"


def attribution_columns(explanation: ExampleExplanation, original: str, perturbed: str) -> list[dict]:
    """The text as columns (aligned_words): per column, the words on each side, whether it changed, and per row
    (model, side) the summed attribution of its words and their tokens."""
    texts = {"original": words(original), "perturbed": words(perturbed)}
    per_word = {(row.model, row.side): row.word_attributions() for row in explanation.attributions}
    pieces = {(row.model, row.side): row.word_tokens() for row in explanation.attributions}
    columns = []
    for original_words, perturbed_words, change in aligned_words(original, perturbed):
        positions = {"original": original_words, "perturbed": perturbed_words}
        column = {"text": {side: " ".join(texts[side][k] for k in positions[side]) for side in positions},
                  "change": change.description if change else None, "values": {}, "tokens": {}}
        for key in per_word:
            found = [per_word[key][k] for k in positions[key[1]] if k in per_word[key]]
            column["values"][key] = sum(found) if found else math.nan
            column["tokens"][key] = [token for k in positions[key[1]] for token in pieces[key].get(k, [])]
        columns.append(column)
    return columns


def attribution_html(explanation: ExampleExplanation, original: str, perturbed: str, names: list[str]) -> str:
    """Four rows of coloured words, one column per word of the aligned texts; hover a word for its value and
    tokens. One colour scale for all four rows, so that they compare."""
    rows = [key for key in ROWS if explanation.attribution(*key) is not None]
    columns = attribution_columns(explanation, original, perturbed)
    values = [abs(value) for column in columns for value in column["values"].values() if not math.isnan(value)]
    scale = max(values, default=0.0)
    target = explanation.attributions[0].target
    target_name = names[target] if target < len(names) else str(target)
    labels = []
    for model, side in rows:
        row = explanation.attribution(model, side)
        labels.append(f'<span style="{LABEL_STYLE}" title="P({html.escape(target_name)}) on the text '
                      f'{row.probability:.3f}, on the baseline {row.baseline_probability:.3f}; '
                      f'attributions sum to {sum(row.attributions):+.3f} (delta {row.delta:+.1e})">'
                      f'{model} · {SIDE_NAMES[side]} · P={row.probability:.2f}</span>')
    parts = [f'<span style="{COLUMN_STYLE}">{"".join(labels)}</span>']
    for column in columns:
        cells = []
        for model, side in rows:
            value = column["values"][(model, side)]
            word = column["text"][side]
            title = (f"{model} · {SIDE_NAMES[side]} · {word or '∅'}: "
                     + ("cut off by the length limit" if math.isnan(value) else f"{value:+.3f}")
                     + f" of P({target_name})"
                     + (f" · tokens: {' '.join(column['tokens'][(model, side)])}" if column["tokens"][(model, side)]
                        else "") + (f" · {column['change']}" if column["change"] else ""))
            border = "border-color:#862e9c;" if column["change"] else ""
            cells.append(f'<span title="{html.escape(title, quote=True)}" style="{CELL_STYLE}{border}'
                         f'background:{attribution_colour(value, scale)}">{html.escape(word) or "&nbsp;"}</span>')
        parts.append(f'<span style="{COLUMN_STYLE}">{"".join(cells)}</span>')
    legend = (f'<div style="font-size:0.8rem;color:#495057;margin-top:4px">Integrated Gradients of '
              f'P({html.escape(target_name)}), the true label, over the word embeddings '
              f'({explanation.settings.steps} steps, baseline: [PAD] but [CLS] / [SEP]); <span style="background:{attribution_colour(1, 1)}">green</span> pushes towards '
              f'{html.escape(target_name)}, <span style="background:{attribution_colour(-1, 1)}">red</span> away; '
              f'strongest word {scale:.3f}. Changed words are outlined.</div>')
    return f'<div style="line-height:1.2">{"".join(parts)}</div>{legend}'


# The bars' axis, on the right: its own round ticks. Plotly's default for an axis laid over another ("sync") puts
# its ticks at the left axis's grid lines, at values such as 0.0963, 0.077, 0.0578; without a grid of its own.
ERROR_AXIS = dict(showgrid=False, rangemode="tozero", tickmode="auto", nticks=6)


def error_by_layer(errors: BlockErrors | None, layers: list[int]) -> list[float]:
    """The run's error at each layer l (block l − 1); NaN at the embeddings and where unknown."""
    if errors is None:
        return [math.nan] * len(layers)
    return [errors.values.get(layer - 1, math.nan) for layer in layers]


def layer_agreement_figure(explanation: ExampleExplanation, errors: BlockErrors | None) -> go.Figure:
    """cos(dense, sparse hidden states) per layer on both texts (tokens solid, [CLS] dotted), and the run's
    reconstruction error per layer as bars on a second axis."""
    figure = make_subplots(specs=[[{"secondary_y": True}]])
    layers = sorted({row.layer for row in explanation.layers})
    if errors is not None:
        figure.add_trace(go.Bar(x=layers, y=error_by_layer(errors, layers), name="reconstruction error",
                                marker_color=ERROR_COLOUR, opacity=0.5,
                                hovertemplate="layer %{x}: %{y:.4f}<extra>" + errors.measure + "</extra>"),
                         secondary_y=True)
    for side, colour in (("original", ORIGINAL_COLOUR), ("perturbed", AUC_COLOUR)):
        rows = sorted((row for row in explanation.layers if row.side == side), key=lambda row: row.layer)
        for measure, dash, label in (("cosine_tokens", "solid", "tokens"), ("cosine_cls", "dot", "[CLS]")):
            figure.add_trace(go.Scatter(x=[row.layer for row in rows], y=[getattr(row, measure) for row in rows],
                                        mode="lines+markers", name=f"{SIDE_NAMES[side]} text, {label}",
                                        line=dict(color=colour, dash=dash),
                                        hovertemplate="layer %{x}: cos %{y:.4f}<extra></extra>"), secondary_y=False)
    figure.update_layout(title="Dense vs sparse hidden states, this example: cosine per layer", height=340,
                         margin=dict(l=10, r=10, t=40, b=10), legend_title_text="")
    figure.update_xaxes(title="layer (0 = embeddings)", tickmode="linear", dtick=1)
    figure.update_yaxes(title="cos(dense, sparse)", secondary_y=False)
    figure.update_yaxes(title="reconstruction error", secondary_y=True, **ERROR_AXIS)
    return figure


def layer_auc_figure(auc: LayerFlipAUC, significance: float = 0.05) -> go.Figure:
    """Per layer: AUC of the dense–sparse divergence for the sparse-only flips (adversarial text solid, with its 95 %
    DeLong interval as a band; original dashed; chance at 0.5; a filled marker where the Mann–Whitney p-value is
    below ``significance``), and the run's reconstruction error as bars on a second axis."""
    figure = make_subplots(specs=[[{"secondary_y": True}]])
    layers = auc.layers
    rows = auc.layer_rows()
    if auc.block_error:
        figure.add_trace(go.Bar(x=layers, y=[row["reconstruction_error"] for row in rows],
                                name="reconstruction error", marker_color=ERROR_COLOUR, opacity=0.5,
                                hovertemplate="layer %{x}: %{y:.4f}<extra>" + (auc.error_measure or "") + "</extra>"),
                         secondary_y=True)
    figure.add_trace(go.Scatter(x=layers, y=[row["auc_perturbed_high"] for row in rows], mode="lines",
                                name="95 % interval, upper end", line=dict(width=0), showlegend=False,
                                hoverinfo="skip"), secondary_y=False)
    figure.add_trace(go.Scatter(x=layers, y=[row["auc_perturbed_low"] for row in rows], mode="lines",
                                line=dict(width=0), fill="tonexty", fillcolor="rgba(239, 85, 59, 0.15)",
                                name="95 % interval (DeLong), adversarial", hoverinfo="skip"), secondary_y=False)
    for side, name, colour, dash in (("perturbed", "AUC, adversarial texts", AUC_COLOUR, "solid"),
                                     ("original", "AUC, original texts", ORIGINAL_COLOUR, "dash")):
        figure.add_trace(go.Scatter(
            x=layers, y=[row[f"auc_{side}"] for row in rows], mode="lines+markers", name=name,
            line=dict(color=colour, dash=dash, width=3 if dash == "solid" else 2),
            marker=dict(size=8, symbol=["circle" if row[f"p_{side}"] < significance else "circle-open"
                                        for row in rows]),
            customdata=[[row[f"auc_{side}_low"], row[f"auc_{side}_high"], row[f"p_{side}"]] for row in rows],
            hovertemplate="layer %{x}: AUC %{y:.3f}, 95 % interval %{customdata[0]:.2f}–%{customdata[1]:.2f}, "
                          "p = %{customdata[2]:.3f}<extra></extra>"), secondary_y=False)
    figure.add_hline(y=0.5, line_dash="dot", line_color="#868e96", annotation_text="chance",
                     annotation_position="bottom right")
    figure.update_layout(title=f"Which layer's dense–sparse divergence tells the sparse-only flips ({auc.positives}) "
                               f"from the other attacked examples ({auc.negatives})", height=380,
                         margin=dict(l=10, r=10, t=40, b=10), legend_title_text="")
    figure.add_annotation(text=f"filled marker: p < {significance:g} (Mann–Whitney U, two-sided, "
                               f"{len(layers)} layers, not corrected)", xref="paper", yref="paper", x=0, y=1.0,
                          xanchor="left", yanchor="bottom", showarrow=False, font=dict(size=11, color="#495057"))
    figure.update_xaxes(title="layer (0 = embeddings)", tickmode="linear", dtick=1)
    figure.update_yaxes(title="ROC AUC", range=[0, 1.02], secondary_y=False)
    figure.update_yaxes(title="reconstruction error", secondary_y=True, **ERROR_AXIS)
    return figure


__all__ = ["ROWS", "attribution_colour", "attribution_columns", "attribution_html", "error_by_layer",
           "layer_agreement_figure", "layer_auc_figure"]
