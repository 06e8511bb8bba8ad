"""Where a sidebar click's time goes: the Prune view against the reference page, step by step.

    python -m bench.bench_click_breakdown [--home DIR] [--repeats 8]

``bench_dashboard`` times a click as a whole. This splits it, for a click to the Prune view (from the Overview, as
``bench_dashboard`` reaches it) and one to the reference page (from a one-line page, as it is reached there), both
servers started through ``bench/timed_streamlit.py``:

- the browser, from the click to the rerun request on the websocket (the page left is taken down);
- the page's script on the server, from ``timed_streamlit`` (the rerun request to the script's end);
- the rest: transport, Streamlit's own server work and the browser drawing the view, until it is drawn
  (``wait_rendered``: its text, its charts, no skeleton left).

(The websocket's messages do not split the rest further: the browser draws while they arrive, and late messages,
such as a widget's state, move the last one about by 100 ms from click to click.)

Medians of ``--repeats`` clicks, interleaved.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench.bench_dashboard import ONE_LINE_APP, VIEWPORT, cached_visits
from robustprune.dashboard.browser import DashboardServer, launch_chromium, missing_browser, wait_rendered
from robustprune.store import RunStore

TIMED_STREAMLIT = [str(Path(__file__).resolve().parent / "timed_streamlit.py")]
STEPS = ("browser, until the request", "the page's script (server)", "the rest (transport, drawing)", "total")


class ClickTimer:
    """A browser tab that notes when it sends on its websocket, and the file its server's script times go to."""

    def __init__(self, page, script_times: Path) -> None:
        self.page, self.script_times = page, script_times
        self.sent: list[float] = []
        page.on("websocket", lambda socket: socket.on("framesent", lambda _: self.sent.append(time.perf_counter())))

    def click(self, link: str, text: str, charts: int) -> list[float]:
        """Seconds of each of ``STEPS`` for a click on the sidebar's ``link``, until ``text`` and ``charts`` show."""
        self.sent.clear()
        already = self.script_times.read_text().splitlines() if self.script_times.exists() else []
        start = time.perf_counter()
        self._open(link, text, charts)
        end = time.perf_counter()
        runs = self.script_times.read_text().splitlines()[len(already):]
        script = sum(float(line.split()[1]) for line in runs)
        request = self.sent[0]
        return [request - start, script, end - request - script, end - start]

    def go(self, link: str, text: str, charts: int = 0) -> None:
        self._open(link, text, charts)
        self.page.wait_for_timeout(300)  # settled: nothing of the last page's drawing left in the next timing

    def _open(self, link: str, text: str, charts: int) -> None:
        self.page.locator("[data-testid='stSidebarNav']").get_by_role("link", name=link, exact=True).click()
        wait_rendered(self.page, text, charts, timeout_ms=120_000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", default=os.environ.get("ROBUSTPRUNE_HOME"))
    parser.add_argument("--repeats", type=int, default=8)
    args = parser.parse_args()
    if missing_browser():
        raise SystemExit(f"cannot run: {missing_browser()}")
    store = RunStore(args.home)
    visits = {visit.name: visit for visit in cached_visits(store)}
    prune, overview = visits["Prune"], visits["Overview"]
    logs = Path(tempfile.mkdtemp(prefix="bench-click-"))
    env = {**os.environ, "ROBUSTPRUNE_HOME": str(store.root), "ROBUSTPRUNE_NO_AUTOWORKER": "1"}
    app_times, reference_times = logs / "app-script-times", logs / "reference-script-times"

    from playwright.sync_api import sync_playwright

    with DashboardServer({**env, "SCRIPT_TIMES": str(app_times)}, logs / "app.log", streamlit=TIMED_STREAMLIT) as app, \
            DashboardServer({**env, "SCRIPT_TIMES": str(reference_times)}, logs / "reference.log", app=ONE_LINE_APP,
                            streamlit=TIMED_STREAMLIT) as reference, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        app_tab = ClickTimer(browser.new_page(viewport=VIEWPORT), app_times)
        reference_tab = ClickTimer(browser.new_page(viewport=VIEWPORT), reference_times)
        app_tab.page.goto(app.url(prune.path, **prune.query))  # the form's settings, as bench_dashboard sets them
        wait_rendered(app_tab.page, prune.text, prune.charts, timeout_ms=120_000)
        reference_tab.page.goto(reference.url("/two"))
        wait_rendered(reference_tab.page, "baseline two", timeout_ms=60_000)
        timings = {"Prune (from the Overview)": [], "reference (from a one-line page)": []}
        for _ in range(args.repeats + 1):  # the first of each is not counted
            app_tab.go("Overview", overview.text, overview.charts)
            timings["Prune (from the Overview)"].append(app_tab.click("Prune", prune.text, prune.charts))
            reference_tab.go("One", "baseline one")
            timings["reference (from a one-line page)"].append(
                reference_tab.click("Elements", "reference page", 4))
    medians = {name: [statistics.median(step) for step in zip(*rows[1:])] for name, rows in timings.items()}
    (prune_row, reference_row) = medians.values()
    print(f"store {store.root}; sidebar clicks, medians of {args.repeats}, interleaved; milliseconds")
    print(f"{'step':<34} {'Prune':>7} {'reference':>10} {'difference':>11}")
    ratio = prune_row[-1] / reference_row[-1]
    for step, ours, theirs in zip(STEPS, prune_row, reference_row):
        print(f"{step:<34} {1000 * ours:>7.0f} {1000 * theirs:>10.0f} {1000 * (ours - theirs):>+11.0f}")
    print(f"Prune / reference: {ratio:.2f}x")


if __name__ == "__main__":
    main()
