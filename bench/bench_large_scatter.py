"""The Embeddings page's projection of thousands of pairs: SVG against WebGL scatters, as an image and as a chart.

The projection draws two markers per pair (original, adversarial) and a line between them. For n pairs this
builds ``figures.embeddings.projection_figure`` (planted coordinates) with ``go.Scatter`` and with
``go.Scattergl``, then in headless Chromium (Debian's, through Playwright):

- as an image (the dashboard's default, ``dashboard.charts``): plotly's exporter writes the SVG once on the server
  (seconds, cached), and the browser draws that image each time a page shows it;
- as a plotly chart (the sidebar's "Interactive charts"): plotly.js draws it each time.

Each WebGL time is printed as a ratio to the SVG time of the same figure, measured in the same process;
``charts.WEBGL_MARKERS`` takes its thresholds from these. Chromium here has no GPU: its WebGL is software
(SwiftShader), which is what a server or a GPU-less laptop gives too; a browser with a GPU draws WebGL faster.

    python -m bench.bench_large_scatter [--pairs 500 1000 5000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import base64
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

from robustprune.dashboard.browser import launch_chromium, missing_browser

IMAGE_DRAWN = """async (url) => {
    const image = document.getElementById('image'); image.src = '';
    await new Promise(done => requestAnimationFrame(done));
    const start = performance.now(); image.src = url; await image.decode();
    await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
    return performance.now() - start; }"""
CHART_DRAWN = """async (spec) => {
    const figure = JSON.parse(spec), chart = document.getElementById('chart'); Plotly.purge(chart);
    const start = performance.now(); await Plotly.newPlot(chart, figure.data, figure.layout);
    await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
    return performance.now() - start; }"""


def planted_frame(pairs: int, seed: int = 0) -> pd.DataFrame:
    """``projection_frame``'s columns for ``pairs`` pairs: an original near its adversarial twin, two labels."""
    rng = np.random.default_rng(seed)
    original = rng.normal(size=(pairs, 2))
    adversarial = original + rng.normal(0, 0.2, size=(pairs, 2))
    rows = [{"index": index, "text": text, "x": point[0], "y": point[1], "label": ("negative", "positive")[index % 2],
             "content": f"text {index}"}
            for index in range(pairs) for text, point in (("original", original[index]),
                                                          ("adversarial", adversarial[index]))]
    return pd.DataFrame(rows)


def median_after_first(page, script: str, argument: str, repeats: int) -> float:
    """Median milliseconds of ``repeats`` draws after a first one (which pays for decoding and compiling)."""
    page.evaluate(script, argument)
    return statistics.median(page.evaluate(script, argument) for _ in range(repeats))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, nargs="+", default=[500, 1000, 5000])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if missing_browser():
        raise SystemExit(f"cannot run: {missing_browser()}")
    import plotly
    from playwright.sync_api import sync_playwright

    from robustprune.figures import static_charts
    from robustprune.dashboard.charts import PAGE_WIDTH
    from robustprune.figures.embeddings import projection_figure

    plotly_js = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    rows = []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        page.set_content(f"<img id='image' style='width:{PAGE_WIDTH}px'><div id='chart' style='width:{PAGE_WIDTH}px'>"
                         "</div>")
        page.add_script_tag(path=str(plotly_js))
        renderer = page.evaluate("""(() => { const gl = document.createElement('canvas').getContext('webgl');
            const info = gl && gl.getExtension('WEBGL_debug_renderer_info');
            return gl ? (info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : 'WebGL') : 'no WebGL'; })()""")
        for pairs in args.pairs:
            frame = planted_frame(pairs)
            measured = {}
            for webgl in (False, True):
                start = time.perf_counter()
                figure = projection_figure(frame, 0, f"{pairs} pairs", ["negative", "positive"], webgl=webgl)
                built = time.perf_counter() - start
                start = time.perf_counter()
                svg = static_charts.figure_svg(figure, PAGE_WIDTH)
                exported = time.perf_counter() - start
                url = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
                measured[webgl] = {"built": built, "exported": exported, "kilobytes": len(svg) / 1000,
                                   "image": median_after_first(page, IMAGE_DRAWN, url, args.repeats),
                                   "chart": median_after_first(page, CHART_DRAWN, figure.to_json(), args.repeats)}
            rows.append((pairs, measured))
        browser.close()

    print(f"the projection of n pairs (2n markers and a line per pair), medians of {args.repeats} draws after a first; "
          f"Chromium's WebGL: {renderer}")
    print(f"{'pairs':>6} {'figure':>8} {'built s':>8} {'export s':>9} {'SVG kB':>7} {'image ms':>9} {'x SVG':>6} "
          f"{'chart ms':>9} {'x SVG':>6}")
    for pairs, measured in rows:
        for webgl, label in ((False, "SVG"), (True, "WebGL")):
            values = measured[webgl]
            print(f"{pairs:>6} {label:>8} {values['built']:>8.2f} {values['exported']:>9.2f} "
                  f"{values['kilobytes']:>7.0f} {values['image']:>9.0f} "
                  f"{values['image'] / measured[False]['image']:>6.2f} {values['chart']:>9.0f} "
                  f"{values['chart'] / measured[False]['chart']:>6.2f}")


if __name__ == "__main__":
    main()
