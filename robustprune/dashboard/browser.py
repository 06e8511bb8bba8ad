"""The dashboard as a user meets it: ``streamlit run app.py`` on localhost, driven by headless Chromium.

Used by the browser test (``tests/dashboard/test_browser.py``) and the page-load bench
(``bench/bench_dashboard.py``). Chromium is Debian's (``apt-get install chromium``), driven
through the ``playwright`` Python package; Playwright's own browser download is never used.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

APP = Path(__file__).resolve().parents[2] / "app.py"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Streamlit marks its root element with its connection and the script's state ("notRunning" once a run has
# finished): connected and idle, the page shows what the last run drew.
APP_READY = "[data-testid='stApp'][data-test-connection-state='CONNECTED'][data-test-script-state='notRunning']"
PLOTS_DRAWN = ("Array.from(document.querySelectorAll('.js-plotly-plot'))"
               ".filter(plot => plot.querySelector('.main-svg')).length")
# a chart is an interactive plotly chart with its SVG drawn, or a static one (``dashboard.charts``): an image loaded
IMAGES = "[data-testid='stImage'] img"
IMAGES_DRAWN = (f"Array.from(document.querySelectorAll({json.dumps(IMAGES)}))"
                ".filter(image => image.complete && image.naturalWidth > 0).length")
CHARTS_DRAWN = f"({PLOTS_DRAWN}) + ({IMAGES_DRAWN})"
# Streamlit loads most elements' code (selectbox, slider, metric, image, html, ...) on first use and shows a grey
# placeholder until it has: a page opened by link has its text before its widgets; drawn means none is left.
SKELETONS = "[data-testid='stMain'] [data-testid='stSkeleton']"


def missing_browser() -> str | None:
    """Why a browser session cannot run here (for a skip reason), or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed (pip install playwright)"
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


def launch_chromium(playwright):
    executable = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    return playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class DashboardServer:
    """``streamlit run app.py`` (or another ``app``) in a subprocess with ``env``; stopped (with the worker it
    started) on exit."""

    def __init__(self, env: dict[str, str], log_path: Path | str, port: int | None = None,
                 app: Path | str = APP, streamlit: list[str] | None = None) -> None:
        self.env = env
        self.streamlit = streamlit or ["-m", "streamlit"]  # how Python starts Streamlit (a bench may wrap it)
        self.log_path = Path(log_path)
        self.port = port or free_port()
        self.app = Path(app)
        self.process: subprocess.Popen | None = None

    def url(self, path: str = "/", **query) -> str:
        return f"http://localhost:{self.port}{path}" + (f"?{urlencode(query, doseq=True)}" if query else "")

    def __enter__(self) -> DashboardServer:
        command = [sys.executable, *self.streamlit, "run", str(self.app), "--server.headless", "true",
                   "--server.port", str(self.port), "--server.address", "127.0.0.1",
                   "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
        with open(self.log_path, "ab") as log:
            # from the repository root, whatever the app, so that every app reads .streamlit/config.toml
            self.process = subprocess.Popen(command, cwd=APP.parent, env=self.env, stdout=log, stderr=log,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        self.wait_healthy()
        return self

    def wait_healthy(self, timeout: float = 60.0) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.process.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.url("/_stcore/health"), timeout=2) as response:
                    if response.read().strip() == b"ok":
                        return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(f"streamlit did not answer on port {self.port} within {timeout:.0f} s")

    def __exit__(self, *exc) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # the server and anything in its session
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.stop_workers()

    def stop_workers(self) -> None:
        """The worker processes the app started for this cache (they run in their own session)."""
        from robustprune.jobs import JobQueue
        from robustprune.store import RunStore

        home = self.env.get("ROBUSTPRUNE_HOME")
        if not home:
            return
        for pid in JobQueue(RunStore(home)).live_workers():
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass


def wait_rendered(page, text: str | None = None, charts: int = 0, timeout_ms: float = 30_000) -> None:
    """Until the app is connected, ``text`` is on the page, the script run has finished, ``charts`` charts are
    drawn (plotly charts or static chart images) and no element waits for its code (``SKELETONS``).

    One JavaScript predicate, checked once per animation frame: it reads ``textContent`` (never ``innerText``, which
    lays the page out), so that waiting costs the page next to nothing, whatever its size."""
    predicate = (f"(() => {{ const app = document.querySelector({json.dumps(APP_READY)}); "
                 f"return Boolean(app) && app.textContent.includes({json.dumps(text or '')}) "
                 f"&& ({CHARTS_DRAWN}) >= {int(charts)} "
                 f"&& !document.querySelector({json.dumps(SKELETONS)}); }})()")
    try:
        page.wait_for_function(predicate, timeout=timeout_ms, polling="raf")
    except Exception as error:  # playwright's TimeoutError: say what the page showed instead
        raise TimeoutError(f"waited {timeout_ms / 1000:g} s for {text!r} and {charts} chart(s): "
                           f"{page_state(page)}") from error


def page_state(page) -> str:
    """What the app shows, in one line: connection and script state, charts drawn, the start of its text."""
    try:
        return page.evaluate(f"""(() => {{
            const app = document.querySelector("[data-testid='stApp']");
            if (!app) return `no Streamlit app on the page at ${{location.href}}: ` +
                (document.body ? document.body.textContent.replace(/\\s+/g, ' ').slice(0, 300) : '(no body)');
            const main = document.querySelector("[data-testid='stMain']");
            return `connection ${{app.getAttribute('data-test-connection-state')}}, script ` +
                `${{app.getAttribute('data-test-script-state')}}, charts drawn ${{{CHARTS_DRAWN}}} ` +
                `(plotly ${{{PLOTS_DRAWN}}}), elements still loading ` +
                `${{document.querySelectorAll({json.dumps(SKELETONS)}).length}}, ` +
                `images ${{document.querySelectorAll({json.dumps(IMAGES)}).length}}; ` +
                `text: ${{(main ? main.textContent : '').replace(/\\s+/g, ' ').slice(0, 600)}}`;
        }})()""")
    except Exception as error:  # noqa: BLE001 - a page that cannot even be read
        return f"the page could not be read ({error})"


__all__ = ["APP", "APP_READY", "CHARTS_DRAWN", "IMAGES_DRAWN", "PLOTS_DRAWN", "CHROMIUM_ARGS", "DashboardServer",
           "missing_browser", "launch_chromium", "wait_rendered", "page_state"]
