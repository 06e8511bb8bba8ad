"""How the dashboard shows a figure: a static SVG (fast, the default) or an interactive plotly chart.

Every chart of a page goes through ``show``. By default a figure of cached runs is drawn
once on the server as SVG (``static_charts``, plotly's exporter) and shown as an image: a
page switch then costs the browser a few milliseconds per chart instead of 50-90 ms, and a
link opened does not load plotly.js at all (``python -m bench.bench_dashboard``). The
sidebar's "Interactive charts" switch (kept for the session) draws the same figures as
plotly charts: hover, zoom, and on the Overview a click on a point opens its run. When
static charts cannot be drawn here (no kaleido, or no Chrome/Chromium for it) every
chart is interactive and the sidebar says why.

``ROBUSTPRUNE_CHARTS=interactive`` (or ``static``) fixes the choice for a server; the
dashboard tests use it to read the figures' data.
"""

from __future__ import annotations

import logging

import streamlit as st

from robustprune.dashboard import cached, static_charts
from robustprune.dashboard.static_charts import CHARTS_ENV, fixed_mode

INTERACTIVE = "interactive-charts"  # the session's choice (not the switch's own state, which is per page)
SWITCH = "interactive-charts-switch"
PAGE_WIDTH = 1100  # pixels of the main column in a wide layout on a 1440-pixel window: the SVG's own size
logger = logging.getLogger(__name__)


def interactive() -> bool:
    """Whether this session's charts are plotly charts (the switch, the environment, or no static charts here)."""
    mode = fixed_mode()
    if mode is not None:
        return mode == "interactive"
    return bool(st.session_state.get(INTERACTIVE)) or static_charts.unavailable_reason() is not None


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

    st.toggle("Interactive charts", value=bool(st.session_state.get(INTERACTIVE)), key=SWITCH, on_change=keep_choice,
              help="hover for values, zoom, click a point on the Overview to open its run; pages switch more "
                   "slowly (each plotly chart is drawn in the browser). Off: the same figures as images drawn once "
                   "on the server.")


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


__all__ = ["INTERACTIVE", "SWITCH", "CHARTS_ENV", "show", "interactive", "sidebar_switch", "fixed_mode"]
