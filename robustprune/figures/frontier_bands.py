"""The stored frontiers drawn on the Overview's trade-off chart: where each method's robustness is lost.

A frontier run (``robustprune frontier``, the Frontier page) holds, per method and attack, the
highest sparsity whose accuracy under attack was *kept* against the dense start and the lowest
where it was *lost* (``frontier.answer.Boundary``). On the under-attack panel that is a band
from the one to the other, in the method's colour: the frontier lies inside it, given the data
(a band of zero width is a frontier located to the resolution). Where nothing was lost but the
levels above the highest kept one are undecided, the frontier lies somewhere above it: a fainter,
dashed band from there to the highest level probed, open to the right. None is drawn for a method
kept at every level probed (beyond the highest level nothing is known). Hovering a band gives the
answer's line (its evidence: n, the undecided levels, the clean accuracy's verdicts); clicking
it opens the frontier on the Frontier page. The newest frontier of each line and recipe is
drawn; a line is named as the Overview names it ("krp", "krp (soup)", "krp+refit (paper setup)").
"""

from __future__ import annotations

from dataclasses import dataclass

import plotly.graph_objects as go

from robustprune.frontier.answer import FrontierAnswer, percent
from robustprune.store import RunStore


@dataclass(frozen=True)
class FrontierBand:
    line: str  # the Overview's line the frontier belongs to
    recipe: str
    low: float  # the highest sparsity kept (0: none)
    high: float  # the lowest sparsity lost; open: the highest probed (nothing lost, the levels above low undecided)
    text: str  # the answer's line
    run_id: str  # the stored frontier run: a click opens it
    open: bool = False  # not lost at any level probed: the frontier is above ``low``, perhaps beyond ``high``


def answer_line(answer: FrontierAnswer, dense_starts) -> str:
    """The Overview line of a frontier's method: its label, "(soup)" when its dense start is the soup and no preset
    names the setup (a preset's label already says it)."""
    soup = "soup" in dense_starts and not answer.label.endswith(" setup)")
    return answer.label + (" (soup)" if soup else "")


def frontier_bands(store: RunStore, model: str, dataset: str, recipe: str | None = None,
                   kind: str = "prune") -> list[FrontierBand]:
    """The band of the newest stored frontier of each (line, recipe) of ``model`` on ``dataset`` (``recipe``: that
    attack's only): for the methods whose robustness was lost at some level probed, or left undecided above the
    highest level kept (an open band). None for a chart of ``kind`` "structured": a frontier is over sparsity, not
    FLOPs."""
    from robustprune.frontier.run import load_frontier

    if kind != "prune":
        return []
    bands: dict[tuple[str, str], FrontierBand] = {}
    for record in store.list(kind="frontier", model=model, dataset=dataset):  # newest first
        dense_starts = record.summary["request"]["sweep"].get("dense_starts", ["finetune"])
        for answer in load_frontier(record):
            line = answer_line(answer, dense_starts)
            boundary = answer.attack
            if (recipe is not None and answer.recipe != recipe) or (line, answer.recipe) in bands \
                    or (boundary.lost_from is None and not boundary.undecided):
                continue
            still_open = boundary.lost_from is None
            bands[line, answer.recipe] = FrontierBand(
                line, answer.recipe, boundary.kept_up_to,
                boundary.highest_probed if still_open else boundary.lost_from, answer.line(), record.run_id,
                open=still_open)
    return list(bands.values())


def band_trace(band: FrontierBand, colour: str, show_recipe: bool) -> go.Scatter:
    """A filled rectangle over the whole accuracy axis from ``band.low`` to ``band.high`` (hover: the answer)."""
    name = f"{band.line} frontier" + (f" ({band.recipe})" if show_recipe else "")
    if band.open:
        span = f"above {percent(band.low)} (not lost up to {percent(band.high)}, the highest level probed)"
    else:
        span = percent(band.high) if band.low == band.high else f"{percent(band.low)}–{percent(band.high)}"
    text = f"{name}: {span}<br>{band.text}"
    return go.Scatter(
        x=[band.low, band.high, band.high, band.low, band.low], y=[0, 0, 1.02, 1.02, 0], mode="lines",
        fill="toself", fillcolor=colour, opacity=0.08 if band.open else 0.15,
        line=dict(color=colour, width=1, dash="dash" if band.open else "solid"), name=name,
        legendgroup=band.line, showlegend=True, hoveron="fills+points", text=text,
        customdata=[[band.run_id, band.recipe, 0, ""]] * 5, hovertemplate="%{text}<extra>click to open</extra>")


__all__ = ["FrontierBand", "frontier_bands", "band_trace", "answer_line"]
