"""The frontier drawn: each probe's difference from the dense start with its interval, coloured by its verdict.

x: sparsity (%); y: pruned − dense accuracy under attack (points) with its 95 % interval as
an error bar; the margin (−m) and no change (0) as lines; and the frontier as a band from
the highest kept to the lowest lost sparsity — where it lies, given the data (undecided
probes fall inside it). Clean accuracy's differences are drawn beside, hollow. Plain plotly
(no Streamlit): the CLI's HTML and a future dashboard view draw the same figure.
"""

from __future__ import annotations

from robustprune.frontier.answer import FrontierAnswer
from robustprune.frontier.verdict import KEPT, LOST, UNDECIDED

VERDICT_COLOURS = {KEPT: "#2b8a3e", UNDECIDED: "#e67700", LOST: "#c92a2a"}


def frontier_figure(answer: FrontierAnswer):
    import plotly.graph_objects as go

    figure = go.Figure()
    for metric, name, symbol in (("attack", "under attack", "circle"), ("clean", "clean", "circle-open")):
        for verdict, colour in VERDICT_COLOURS.items():
            probes = [probe for probe in answer.probes if getattr(probe, metric).verdict == verdict]
            if not probes:
                continue
            verdicts = [getattr(probe, metric) for probe in probes]
            figure.add_trace(go.Scatter(
                x=[probe.sparsity * 100 for probe in probes], y=[v.difference * 100 for v in verdicts],
                error_y={"type": "data", "symmetric": False, "array": [(v.difference_high - v.difference) * 100
                                                                       for v in verdicts],
                         "arrayminus": [(v.difference - v.difference_low) * 100 for v in verdicts]},
                mode="markers", name=f"{name}: {verdict}", marker={"color": colour, "symbol": symbol, "size": 9},
                customdata=[[v.difference_low * 100, v.difference_high * 100, v.sentences_to_decide or ""]
                            for v in verdicts],
                hovertemplate=f"{name} %{{x:.1f}} %: %{{y:+.1f}} points (%{{customdata[0]:+.1f}}, "
                              f"%{{customdata[1]:+.1f}}) {verdict}<extra></extra>"))
    figure.add_hline(y=0, line={"color": "#868e96", "width": 1})
    figure.add_hline(y=-answer.margin * 100, line={"color": "#868e96", "dash": "dash", "width": 1},
                     annotation_text=f"−{answer.margin * 100:g} points (margin)", annotation_position="bottom left")
    if answer.attack.lost_from is not None:
        figure.add_vrect(x0=answer.attack.kept_up_to * 100, x1=answer.attack.lost_from * 100, fillcolor="#fab005",
                         opacity=0.2, line_width=0, annotation_text="frontier", annotation_position="top left")
    figure.update_layout(title=answer.line().split(". Clean")[0], xaxis_title="sparsity (%)",
                         yaxis_title="pruned − dense accuracy (points, 95 % interval)", height=460,
                         legend={"orientation": "h", "y": -0.2})
    return figure


__all__ = ["frontier_figure", "VERDICT_COLOURS"]
