"""Plotly figures as static SVG, drawn once on the server by plotly's own exporter (kaleido).

A plotly chart costs the browser 50-90 ms of main-thread time each time a page shows it
(on a 2-core CPU), and a link opened pays for evaluating plotly.js on top: a page of four
charts is four times slower to switch to than a one-line page. The same figure exported
as SVG is an image the browser paints in a few milliseconds. The figures stay plotly
figures (one implementation: the report and the interactive charts use the same ones);
this module only renders them, through kaleido, which drives a headless Chrome or
Chromium (Debian's ``chromium`` is found on the PATH). Without one, static charts are
unavailable and the dashboard draws interactive charts, as before.

One kaleido server (one browser) serves the process. Starting it takes about 2 s; the app starts it
in the background on its first page run (``start_in_background``), while that page's modules are
imported, so that the first chart does not wait for it. It renders each figure in about 0.2 s.
"""

from __future__ import annotations

import atexit
import os
import threading
import warnings

EXPORT_SECONDS = 60.0  # one figure takes about 0.2 s, the first (the browser starting) about 2 s
TEMPLATE = "plotly_white"  # what an interactive chart looks like under Streamlit's light theme, closest
_lock = threading.Lock()
_state: dict[str, object] = {"started": False, "starting": False, "unavailable": None}
CHARTS_ENV = "ROBUSTPRUNE_CHARTS"


class StaticChartsUnavailable(RuntimeError):
    """kaleido, or the Chrome/Chromium it drives, is missing or failed; the message says which."""


def fixed_mode() -> str | None:
    """``interactive`` or ``static`` when the server's environment (``$ROBUSTPRUNE_CHARTS``) fixes the charts of
    every session, else None (each session's switch decides)."""
    mode = os.environ.get(CHARTS_ENV, "").strip().lower()
    return mode if mode in ("interactive", "static") else None


def start_in_background() -> None:
    """Start the exporter's browser in a thread of its own, once per process, when the server's charts are fixed
    to static ones (by default charts are interactive: the exporter starts with the first static figure).

    A fresh server's first page spends seconds importing its modules; the browser (another process) starts
    meanwhile on the other core, and the first figure finds it ready instead of waiting about 2 s for it. A failed
    start is remembered like one on the first figure (``unavailable_reason``)."""
    if fixed_mode() != "static":
        return
    with _lock:
        if _state["started"] or _state["starting"] or _state["unavailable"]:
            return
        _state["starting"] = True
    threading.Thread(target=_start_remembering_failure, name="static-charts-start", daemon=True).start()


def _start_remembering_failure() -> None:
    with _lock:
        try:
            if not (_state["started"] or _state["unavailable"]):
                _start()
        except StaticChartsUnavailable as error:
            _state["unavailable"] = str(error)
        finally:
            _state["starting"] = False


def unavailable_reason() -> str | None:
    """Why static charts cannot be drawn in this process (after a failed attempt), or None."""
    return _state["unavailable"]


def _start() -> None:
    try:
        import kaleido
        from choreographer.browsers.chromium import Chromium
    except ImportError as error:
        raise StaticChartsUnavailable(f"kaleido is not installed ({error}); pip install 'kaleido>=1'") from error
    # kaleido's server would fail in its own thread and leave every later figure waiting: look first
    if Chromium.find_browser(skip_local=False) is None:
        raise StaticChartsUnavailable("no Chrome or Chromium on this machine for kaleido to draw with "
                                      "(apt-get install chromium, or set BROWSER_PATH)")
    try:
        # mathjax=False: no formula in these figures, and nothing is fetched from a network
        kaleido.start_sync_server(mathjax=False, silence_warnings=True)
    except Exception as error:  # noqa: BLE001 - BrowserFailedError and the like: all mean "no browser to draw with"
        raise StaticChartsUnavailable(f"kaleido could not start Chrome/Chromium ({type(error).__name__}: "
                                      f"{error})") from error
    atexit.register(kaleido.stop_sync_server, silence_warnings=True)
    _state["started"] = True


def _export(figure, width: int, height: int | None) -> bytes:
    """plotly's SVG export, given up after ``EXPORT_SECONDS`` (a browser that died leaves kaleido waiting for ever)."""
    import plotly.io as pio

    outcome: dict = {}

    def export() -> None:
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message="The kopts argument is ignored")  # we use the server
                outcome["svg"] = pio.to_image(figure, format="svg", width=width, height=height)
        except Exception as error:  # noqa: BLE001 - handed to the caller's thread
            outcome["error"] = error

    thread = threading.Thread(target=export, name="static-chart-export", daemon=True)
    thread.start()
    thread.join(EXPORT_SECONDS)
    if thread.is_alive():
        raise StaticChartsUnavailable(f"kaleido gave no figure within {EXPORT_SECONDS:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["svg"]


def with_template(figure, template: str = TEMPLATE):
    """A copy of ``figure`` drawn with a real plotly template (the dashboard's figures never choose their own).

    Inside Streamlit plotly's default template is "streamlit": placeholder colours (#000001, ...) that Streamlit's
    front end replaces with its theme, and that anything else (an exporter, a report) would draw as they are,
    near black. A figure built in the dashboard's process carries that template; drawn elsewhere it needs a real one."""
    import plotly.graph_objects as go

    return go.Figure(figure).update_layout(template=template)  # a copy: the cached figure is shared, never changed


def figure_svg(figure, width: int, height: int | None = None) -> str:
    """``figure`` (a plotly figure or its dict) as an SVG document ``width`` pixels wide (``height``: the figure's).

    Raises StaticChartsUnavailable when kaleido or its browser is missing; after one such failure every later call
    fails at once with the same reason, instead of trying to start a browser on every page."""
    with _lock:  # one browser page renders one figure at a time
        if _state["unavailable"]:
            raise StaticChartsUnavailable(_state["unavailable"])
        try:
            if not _state["started"]:
                _start()
            svg = _export(with_template(figure), width, height)
        except StaticChartsUnavailable as error:
            _state["unavailable"] = str(error)
            raise
        except RuntimeError as error:  # plotly's "Kaleido requires Google Chrome" and the like
            _state["unavailable"] = f"kaleido could not export the figure ({error})"
            raise StaticChartsUnavailable(_state["unavailable"]) from error
    return svg.decode("utf-8")


__all__ = ["StaticChartsUnavailable", "TEMPLATE", "CHARTS_ENV", "figure_svg", "with_template", "unavailable_reason",
           "fixed_mode", "start_in_background"]
