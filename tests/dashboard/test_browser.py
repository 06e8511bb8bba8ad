"""End to end in a real browser: ``streamlit run app.py`` on localhost, headless Chromium through Playwright.

First start (the dense default fine-tuned by the worker the app starts), a tiny prune
from the Prune page with live progress until the heatmaps show, then a tiny attack from
the Attacks page until an example shows original and adversarial text side by side.
"""

import os

import pytest

from robustprune.dashboard.browser import DashboardServer, launch_chromium, missing_browser, wait_rendered

pytestmark = [pytest.mark.browser, pytest.mark.skipif(missing_browser() is not None, reason=str(missing_browser()))]


def test_prune_and_attack_in_a_real_browser(empty_home, workspace, tmp_path):
    from playwright.sync_api import sync_playwright

    env = {key: value for key, value in os.environ.items() if key != "ROBUSTPRUNE_NO_AUTOWORKER"}
    with DashboardServer(env, tmp_path / "streamlit.log") as server, sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})

        page.goto(server.url("/"))
        wait_rendered(page, "First start")
        wait_rendered(page, "No pruning runs yet", timeout_ms=180_000)  # the worker fine-tuned the default

        page.goto(server.url("/prune", model=workspace.model_dir, dataset=workspace.csv, calibration=16,
                             method="krp", sparsity=50))
        wait_rendered(page, "not cached yet")
        page.get_by_role("button", name="Prune").click()
        wait_rendered(page, "Reconstruction error per layer", charts=4, timeout_ms=180_000)
        assert page.locator(".js-plotly-plot .heatmaplayer").count() >= 2
        page.screenshot(path=str(tmp_path / "prune.png"), full_page=True)

        page.goto(server.url("/attacks", attack_dataset=workspace.csv, examples=2))
        wait_rendered(page, "No attack runs yet")
        page.get_by_role("button", name="Attack").click()
        wait_rendered(page, "Adversarial", charts=2, timeout_ms=300_000)
        assert page.get_by_text("prediction on the perturbed text").count() >= 1
        page.screenshot(path=str(tmp_path / "attacks.png"), full_page=True)
        browser.close()
