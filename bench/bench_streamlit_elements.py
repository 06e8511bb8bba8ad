"""What one Streamlit element adds to a sidebar click, element kind by kind, as a ratio to a one-line page.

Plain Streamlit, no robustprune code (``bench/element_pages_app.py``): one page per kind of element the dashboard's
views show, each with ten copies of it, reached by a sidebar click in headless Chromium (Debian's, through
Playwright) until its last line is shown, each click followed by a click to a one-line page of the same server.
The difference of the medians, divided by ten, is what one such element costs a click on the machine at hand;
``bench_dashboard`` counts the elements of each view. Together they tell how much of a view's click is
Streamlit's, whatever robustprune does.

    python -m bench.bench_streamlit_elements [--repeats 9]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import time
from pathlib import Path

from robustprune.dashboard.browser import DashboardServer, launch_chromium, missing_browser, wait_rendered

APP = Path(__file__).resolve().parent / "element_pages_app.py"
VIEWPORT = {"width": 1440, "height": 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9, help="clicks per element page (default 9)")
    args = parser.parse_args()
    if missing_browser():
        raise SystemExit(f"cannot run: {missing_browser()}")
    logging.getLogger("streamlit").setLevel(logging.ERROR)  # its import outside a script run warns, harmlessly
    from bench.element_pages_app import COPIES, ELEMENTS, MARK

    names = list(ELEMENTS)

    from playwright.sync_api import sync_playwright

    logs = Path(tempfile.mkdtemp(prefix="bench-elements-"))
    with DashboardServer(dict(os.environ), logs / "streamlit.log", app=APP) as server, \
            sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport=VIEWPORT)
        navigation = page.locator("[data-testid='stSidebarNav']")

        def click(title: str, text: str) -> float:
            start = time.perf_counter()
            navigation.get_by_role("link", name=title, exact=True).click()
            wait_rendered(page, text, timeout_ms=60_000)
            return time.perf_counter() - start

        page.goto(server.url("/"))
        wait_rendered(page, "baseline one", timeout_ms=60_000)
        for name in names:  # each page once: its JavaScript chunks loaded, its first script run done
            click(name, MARK)
            click("Two", "baseline two")
        element_clicks = {name: [] for name in names}
        baseline_clicks = []
        for _ in range(args.repeats):
            for name in names:
                element_clicks[name].append(click(name, MARK))
                click("Two", "baseline two")
                baseline_clicks.append(click("One", "baseline one"))
                click("Two", "baseline two")
        browser.close()

    baseline = statistics.median(baseline_clicks)
    print(f"a one-line page by sidebar click: {baseline * 1000:.0f} ms (median of {len(baseline_clicks)}); "
          f"each element page holds {COPIES} copies; medians of {args.repeats} clicks")
    print(f"{'element':<22} {'page click':>10} {'x one-line':>10} {'per element':>12} {'x one-line':>11}")
    for name in names:
        clicked = statistics.median(element_clicks[name])
        each = (clicked - baseline) / COPIES
        print(f"{name:<22} {clicked * 1000:>8.0f} ms {clicked / baseline:>10.2f} {each * 1000:>9.1f} ms "
              f"{each / baseline:>11.3f}")


if __name__ == "__main__":
    main()
