"""Charts as interactive plotly charts (the default) or static SVG, and the fall-back when SVG cannot be drawn."""

import base64
import re

import plotly.graph_objects as go
import pytest

from robustprune.figures import static_charts
from robustprune.dashboard.browser import missing_browser
from tests.dashboard.conftest import open_page, plotly_figures, texts

needs_browser = pytest.mark.skipif(missing_browser() is not None, reason=str(missing_browser()))


def svg_of(image) -> str:
    """The SVG document of an image element (Streamlit sends an SVG as a base64 data URL)."""
    url = image.proto.imgs[0].url
    prefix = "data:image/svg+xml;base64,"
    assert url.startswith(prefix)
    return base64.b64decode(url[len(prefix):]).decode("utf-8")


@needs_browser
def test_a_figure_becomes_an_svg_of_its_own_content():
    figure = go.Figure(go.Bar(x=["dense", "sparse"], y=[0.81, 0.47], text=["81.0%", "47.0%"]))
    figure.update_layout(title="Test accuracy of run prune-0123", height=300)
    svg = static_charts.figure_svg(figure, width=640)
    assert svg.lstrip().startswith("<svg") and 'width="640"' in svg and 'height="300"' in svg
    assert "Test accuracy of run prune-0123" in svg and "81.0%" in svg and "47.0%" in svg
    assert svg.count('class="point"') == 2  # one bar per value


@needs_browser
def test_a_webgl_scatter_exports_as_an_image_of_its_markers():
    """A large projection is a WebGL scatter (``charts.webgl``); plotly's exporter draws its markers as a raster in
    the SVG. The raster holds the markers in their label colours, not a blank canvas."""
    import io

    import numpy as np
    from PIL import Image

    from robustprune.figures.attacks import label_colour
    from robustprune.figures.embeddings import projection_figure
    from tests.dashboard.test_embeddings import planted_pairs

    names = ["negative", "positive"]
    svg = static_charts.figure_svg(projection_figure(planted_pairs(20), None, "pairs", names, webgl=True), width=640)
    rasters = re.findall(r'<image[^>]*href="data:image/png;base64,([^"]+)"', svg)
    assert rasters, "no raster in the SVG of a WebGL scatter"
    pixels = np.concatenate([np.asarray(Image.open(io.BytesIO(base64.b64decode(raster))).convert("RGBA"))
                             .reshape(-1, 4) for raster in rasters])
    drawn = pixels[pixels[:, 3] > 200][:, :3]
    for name in names:
        colour = np.array([int(label_colour(name, names)[i:i + 2], 16) for i in (1, 3, 5)])
        assert (np.abs(drawn.astype(int) - colour).sum(axis=1) < 30).sum() > 50, f"no {name} markers drawn"


@needs_browser
def test_the_prune_page_draws_plotly_charts_by_default_and_images_when_switched(home, workspace, monkeypatch):
    monkeypatch.delenv("ROBUSTPRUNE_CHARTS")
    app = open_page("pages/prune.py", model=workspace.model_name, dataset=workspace.csv_name, calibration="16",
                    method="krp", sparsity="50")
    assert not app.exception and not app.error
    assert not app.get("image") and len(plotly_figures(app)) == 4  # heatmaps, depth, sparsity, accuracy
    assert app.toggle(key="interactive-charts-switch").value is True
    app.toggle(key="interactive-charts-switch").set_value(False).run()  # the sidebar's switch: the same figures, SVG
    assert not app.get("plotly_chart") and len(app.get("image")) == 4
    svgs = [svg_of(image) for image in app.get("image")]
    assert "local reconstruction error" in svgs[0] and "end-to-end reconstruction error" in svgs[0]
    assert "Reconstruction error over depth" in svgs[1] and "sparsegpt 50.0%" in svgs[1]  # compared by default
    assert "Achieved sparsity per layer" in svgs[2] and "Test accuracy" in svgs[3]
    # drawn in a real template, not Streamlit's (placeholder colours for its front end, no room for the labels):
    # every y tick label ends far enough right of the left edge to be read whole
    tick_ends = [float(x) for svg in svgs for x in re.findall(r'<g class="ytick"><text text-anchor="end" x="([-\d.]+)"',
                                                                svg)]
    assert len(tick_ends) >= 8 and min(tick_ends) >= 30
    assert not any(re.search(r"rgb\(0, 0, ([1-9]|[12][0-9]|30)\)", svg) for svg in svgs)


@pytest.fixture
def fresh_exporter(monkeypatch):
    """static_charts as in a process that has drawn nothing yet (restored afterwards)."""
    monkeypatch.setitem(static_charts._state, "unavailable", None)
    monkeypatch.setitem(static_charts._state, "started", False)
    monkeypatch.setitem(static_charts._state, "starting", False)


def join_background_start() -> None:
    import threading

    for thread in threading.enumerate():
        if thread.name == "static-charts-start":
            thread.join(30)


def test_the_exporter_starts_in_the_background_once_and_the_first_figure_waits_for_it(monkeypatch, fresh_exporter):
    import time

    monkeypatch.setenv("ROBUSTPRUNE_CHARTS", "static")
    starts = []

    def slow_start():
        starts.append(time.perf_counter())
        time.sleep(0.3)
        static_charts._state["started"] = True

    monkeypatch.setattr(static_charts, "_start", slow_start)
    monkeypatch.setattr(static_charts, "_export", lambda figure, width, height: b"<svg>drawn</svg>")
    static_charts.start_in_background()
    static_charts.start_in_background()  # a second page run while it starts: no second browser
    assert static_charts.figure_svg(go.Figure(go.Bar(y=[1])), 400) == "<svg>drawn</svg>"
    join_background_start()
    assert len(starts) == 1 and static_charts._state["started"] and not static_charts._state["starting"]


def test_a_failed_background_start_is_remembered_and_said(monkeypatch, fresh_exporter):
    from choreographer.browsers.chromium import Chromium

    monkeypatch.setenv("ROBUSTPRUNE_CHARTS", "static")
    monkeypatch.setattr(Chromium, "find_browser", classmethod(lambda cls, **options: None))
    static_charts.start_in_background()
    join_background_start()
    assert "no Chrome or Chromium" in static_charts.unavailable_reason()
    with pytest.raises(static_charts.StaticChartsUnavailable, match="no Chrome or Chromium"):
        static_charts.figure_svg(go.Figure(go.Bar(y=[1])), 400)


@pytest.mark.parametrize("mode", ["interactive", None])
def test_no_browser_starts_unless_the_server_fixes_static_charts(monkeypatch, fresh_exporter, mode):
    """Charts are interactive by default: the exporter's browser starts with the first static figure, if any."""
    if mode is None:
        monkeypatch.delenv("ROBUSTPRUNE_CHARTS", raising=False)
    else:
        monkeypatch.setenv("ROBUSTPRUNE_CHARTS", mode)
    monkeypatch.setattr(static_charts, "_start", lambda: pytest.fail("a browser was started"))
    static_charts.start_in_background()
    join_background_start()
    assert not static_charts._state["starting"] and not static_charts._state["started"]


def test_without_a_browser_for_kaleido_the_charts_are_interactive_and_the_sidebar_says_why(home, workspace,
                                                                                            monkeypatch,
                                                                                            fresh_exporter):
    from choreographer.browsers.chromium import Chromium

    monkeypatch.delenv("ROBUSTPRUNE_CHARTS")
    monkeypatch.setattr(Chromium, "find_browser", classmethod(lambda cls, **options: None))
    app = open_page("pages/prune.py", model=workspace.model_name, dataset=workspace.csv_name, calibration="16",
                    method="krp", sparsity="50")
    assert not app.exception and not app.error
    app.toggle(key="interactive-charts-switch").set_value(False).run()  # static asked for: cannot be drawn here
    assert len(plotly_figures(app)) == 4 and not app.get("image")
    app.run()  # from the next run on, the sidebar says why (the first chart found out during this run)
    assert any("static charts are unavailable: no Chrome or Chromium" in caption
               for caption in texts(app.sidebar.caption))


def test_an_export_that_never_answers_is_given_up_once_and_then_not_tried_again(monkeypatch, fresh_exporter):
    """A browser that died leaves kaleido waiting for ever: the page must not."""
    import threading
    import time

    import plotly.io as pio

    monkeypatch.setitem(static_charts._state, "started", True)
    monkeypatch.setattr(static_charts, "EXPORT_SECONDS", 0.5)
    stuck = threading.Event()
    calls = []

    def never_answers(*args, **kwargs):
        calls.append(1)
        stuck.wait(30)

    monkeypatch.setattr(pio, "to_image", never_answers)
    figure = go.Figure(go.Bar(y=[1, 2]))
    start = time.perf_counter()
    with pytest.raises(static_charts.StaticChartsUnavailable, match="no figure within 0.5 s"):
        static_charts.figure_svg(figure, 400)
    assert time.perf_counter() - start < 5
    with pytest.raises(static_charts.StaticChartsUnavailable):
        static_charts.figure_svg(figure, 400)
    assert len(calls) == 1 and static_charts.unavailable_reason()
    stuck.set()


def right_axis_ticks(svg: str) -> list[float]:
    """The numbers written on the right-hand (second) y axis of a figure's SVG."""
    return [float(text.replace("−", "-")) for text in re.findall(r'<g class="y2tick"><text[^>]*>([^<]*)</text>', svg)]


def round_step(values: list[float]) -> bool:
    """Evenly spaced by 1, 2, 2.5 or 5 times a power of ten, and each a multiple of it: ticks a reader can read."""
    import math

    steps = {round(b - a, 12) for a, b in zip(values, values[1:])}
    if len(values) < 3 or len(steps) != 1:
        return False
    step = steps.pop()
    mantissa = step / 10 ** math.floor(math.log10(step))
    return any(math.isclose(mantissa, nice) for nice in (1, 2, 2.5, 5)) and all(
        math.isclose(value / step, round(value / step), abs_tol=1e-6) for value in values)


@needs_browser
def test_the_error_bars_axis_has_round_ticks():
    """The reconstruction error's axis beside the AUC (or cosine) lines: its own round ticks (0, 0.02, 0.04, ...),
    not the left axis's grid read on its scale (0.0193, 0.0385, 0.0578, ... as plotly's "sync" draws them)."""
    from robustprune.attack.explain import ExampleExplanation, LayerAgreement
    from robustprune.attack.layer_auc import BlockErrors, LayerFlipAUC
    from robustprune.figures.explanation import layer_agreement_figure, layer_auc_figure

    errors = [0.0, 0.002, 0.018, 0.009, 0.073, 0.0963, 0.056]  # the walkthrough's run: layers 0 (embeddings) to 6
    auc = LayerFlipAUC("attack-0", "prune-0", list(range(7)), [0.5, 0.4, 0.3, 0.5, 0.4, 0.4, 0.2],
                       [0.5, 0.3, 0.3, 0.4, 0.4, 0.5, 0.6], 2, 5, examples=[0], divergence_perturbed=[[0.1] * 7],
                       divergence_original=[[0.1] * 7], flipped=[True],
                       block_error={layer - 1: error for layer, error in enumerate(errors) if layer})
    explained = ExampleExplanation("attack-0", 3, None, [], [
        LayerAgreement(side, layer, 1 - 0.01 * layer, 1 - 0.005 * layer)
        for side in ("original", "perturbed") for layer in range(7)])
    figures = {"auc": layer_auc_figure(auc),
               "agreement": layer_agreement_figure(explained, BlockErrors("e2e", auc.block_error))}
    for name, figure in figures.items():
        ticks = right_axis_ticks(static_charts.figure_svg(figure, width=900))
        assert round_step(ticks) and ticks[0] == 0 and ticks[-1] <= max(errors) * 1.1, (name, ticks)
