"""How the dashboard shows a figure: an interactive plotly chart (the default) or a static SVG.

Every chart of a page goes through ``show``. By default a figure is a plotly chart: hover a
point for its values, zoom, and on the Overview click a point to open its run. The sidebar's
"Interactive charts" switch (kept for the session) turned off draws the same figures once on
the server as SVG (``static_charts``, plotly's exporter) and shows them as images: a page
switch then costs the browser a few milliseconds per chart instead of 50-90 ms, and a link
opened does not load plotly.js at all (``python -m bench.bench_dashboard``). When static
charts cannot be drawn here (no kaleido, or no Chrome/Chromium for it) every chart is
interactive and the sidebar says why.

``ROBUSTPRUNE_CHARTS=static`` (or ``interactive``) fixes the choice for a server; the
dashboard tests use it to read the figures' data.
"""

from __future__ import annotations

import logging

import streamlit as st

from robustprune.dashboard import cached
from robustprune.figures import static_charts
from robustprune.figures.static_charts import CHARTS_ENV, fixed_mode

# A scatter of this many markers or more is drawn with WebGL (go.Scattergl); bench.bench_large_scatter,
# bench/results/large-scatter-cpu.md. As an image, plotly's exporter draws WebGL markers as one raster in the SVG:
# at 1000 pairs of the projection (2000 markers) it drew in 0.79-0.96x the SVG's time at the same size, from 2000
# pairs on at half the size or less in 21-70 % of the time (at 500 pairs: 0.73-1.16x, larger). As a plotly
# chart, WebGL pays only with a GPU: Chromium's software WebGL drew 1000 pairs 2.2-2.3x slower than SVG and was
# even at 5000 pairs (10000 markers), so interactive charts switch there.
WEBGL_MARKERS = {"static": 2000, "interactive": 10000}
INTERACTIVE = "interactive-charts"  # the session's choice (not the switch's own state, which is per page)
SWITCH = "interactive-charts-switch"
PAGE_WIDTH = 1100  # pixels of the main column in a wide layout on a 1440-pixel window: the SVG's own size
logger = logging.getLogger(__name__)


def interactive() -> bool:
    """Whether this session's charts are plotly charts (the switch, the environment, or no static charts here)."""
    mode = fixed_mode()
    if mode is not None:
        return mode == "interactive"
    return bool(st.session_state.get(INTERACTIVE, True)) or static_charts.unavailable_reason() is not None


def sidebar_switch() -> None:
    """The sidebar's "Interactive charts" switch, or, where static charts cannot be drawn, why every chart is
    interactive."""
    if fixed_mode() is not None:
        return
    if reason := static_charts.unavailable_reason():
        st.caption(f"Charts: interactive (static charts are unavailable: {reason}).")
        return
    def keep_choice() -> None:  # a widget's state ends with its page; the session's choice holds for every page
        st.session_state[INTERACTIVE] = st.session_state[SWITCH]

    st.toggle("Interactive charts", value=bool(st.session_state.get(INTERACTIVE, True)), key=SWITCH,
              on_change=keep_choice,
              help="hover for values, zoom, click a point on the Overview to open its run; pages switch more "
                   "slowly (each plotly chart is drawn in the browser). Off: the same figures as images drawn once "
                   "on the server.")


def webgl(markers: int) -> bool:
    """Whether a scatter of ``markers`` points is drawn with WebGL in this session's charts (``WEBGL_MARKERS``)."""
    return markers >= WEBGL_MARKERS["interactive" if interactive() else "static"]


@st.cache_resource(show_spinner=False, max_entries=512)
def _svg(name: str, key: tuple, width: int, _build) -> str:
    return static_charts.figure_svg(_build(), width)


def show(name: str, cache_key: tuple, build, *, container=None, width: int = PAGE_WIDTH, **plotly_options):
    """Show the figure ``build()`` (cached under ``name`` and ``cache_key``, as ``cached.figure``) in ``container``.

    Static: an SVG image ``width`` pixels wide, stretched to the column. Interactive: ``st.plotly_chart`` with
    ``plotly_options`` (``key=``, ``on_select=``, ...), whose return value (the selection event) is returned;
    None for an image."""
    container = container if container is not None else st
    if not interactive():
        try:
            svg = _svg(name, cache_key, width, lambda: cached.figure(name, cache_key, build))
        except static_charts.StaticChartsUnavailable:
            pass  # remembered by static_charts; the sidebar says why from the next run on
        except Exception:  # noqa: BLE001 - one figure failing to export must not take the page down
            logger.exception("static export of figure %r failed; drawing it as an interactive chart", name)
        else:
            container.image(svg, width="stretch")
            return None
    return container.plotly_chart(cached.figure(name, cache_key, build), **plotly_options)


__all__ = ["INTERACTIVE", "SWITCH", "CHARTS_ENV", "WEBGL_MARKERS", "show", "interactive", "webgl", "sidebar_switch",
           "fixed_mode"]
