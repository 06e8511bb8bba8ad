"""Time from navigation to a fully rendered dashboard page, for cached runs, as a ratio to a one-line page.

``streamlit run app.py`` on localhost over a run store that already holds runs; headless
Chromium (Debian's, through Playwright) opens each page's URL for a cached run and waits
until the script run has finished, the page's text is there and every chart is drawn.
The first visit of a page pays for imports and cache fills; the later visits are what a
user opening a link to a cached run sees (a new browser session each time). Then the
same pages reached by clicking their sidebar links (one session: what moving around the
app costs), on the Prune page a click on another paper level (another cached run), and on
the Attacks page a click on another row of the examples table (an example whose
attributions are cached): moving between cached runs and examples.

Absolute seconds move with the machine and its load, so every view is measured against
baselines in the same run: two one-line Streamlit pages behind the same navigation
(``bench/one_line_app.py``, a second server), opened by link and switched by a sidebar
click, each measurement of the app followed by one of the baseline; and a reference page,
the kinds of elements a cached Prune view shows in plain Streamlit (a form, metrics, four
charts drawn as the app draws them: plotly charts by default, SVG images with ``--charts
static``), what Streamlit alone costs for such a page here, which no change inside
robustprune can take away. The goal (issue 25, restated from "1.5x a one-line page", which
no Streamlit page of these elements met, the reference page included): every view within
1.2x of the reference page reached the same way, by link and by sidebar click; both
ratios are printed. Its table page
does the same for a click on a table's row (the Attacks page picks an example that way): Streamlit sends a table's
selection to the server 150 ms after the click (a debounce in its data grid), which a one-line page's sidebar
click does not wait for.

    python -m bench.bench_dashboard                      # the default cache (~/.cache/robustprune)
    python -m bench.bench_dashboard --charts static      # the sidebar's switch off: charts as SVG images
    python -m bench.bench_dashboard --home DIR --repeats 5 --screenshots assets
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from robustprune.dashboard.browser import DashboardServer, launch_chromium, missing_browser, wait_rendered
from robustprune.store import RunStore

VIEWPORT = {"width": 1440, "height": 1000}
ONE_LINE_APP = Path(__file__).resolve().parent / "one_line_app.py"
GOAL_RATIO = 1.2  # x the reference page, reached the same way


@dataclass
class PageVisit:
    name: str
    path: str
    query: dict
    text: str      # shows once the page has rendered its results
    charts: int    # plotly charts drawn when it is complete
    sidebar: str | None = None  # the sidebar link that reaches it, when it is not ``name``


def plainness(store: RunStore, record) -> tuple:
    """Sorts pruning runs plainest first: from one fine-tune of the default recipe (the one the Prune form asks
    for; a link does not carry the epochs), without a re-fitted head, 128 calibration texts."""
    from dataclasses import asdict

    from robustprune.finetune import FinetuneConfig

    dense = store.get(record.parent)
    default_recipe = {key: value for key, value in asdict(FinetuneConfig()).items() if key != "max_length"}
    dense_config = dense.summary.get("config", {}) if dense else {}
    config = record.summary["config"]
    return (any(dense_config.get(key) != value for key, value in default_recipe.items()),
            record.summary.get("dense_start", "finetune") != "finetune", bool(config.get("refit_head")),
            bool(config.get("calibration_adversarial")), config["calibration"] != 128)


def prune_query(store: RunStore, record) -> dict[str, str]:
    """The Prune page's link to a cached run: every setting of its form (dense start, calibration, refit, ...), as
    the page's own links give it, so that the form asks for that run and not another one."""
    from robustprune.dashboard.prune_form import PruneForm

    dense = store.get(record.parent)
    return PruneForm.from_record(record, dense.summary if dense else None).query_params()


def cached_visits(store: RunStore) -> list[PageVisit]:
    """One visit per page, each on a cached run: krp at 50% if there is one (the paper's method), the attack the
    Attacks and Embeddings pages open on, on Runs krp compared with another method, and the newest frontier."""
    from robustprune.figures.attacks import attacked_runs, list_attack_runs

    prunes = store.list(kind="prune")
    if not prunes:
        raise SystemExit(f"no pruning runs in {store.root}: prune one first (robustprune prune --method krp)")
    krp = [run for run in prunes if run.method == "krp"]
    # the plainest krp run at 50% (the default fine-tune, 128 texts, no refit), which the Prune form's link shows
    at_half = [run for run in krp if run.summary["target_sparsity"] == 0.5]
    run = min(at_half, key=lambda record: plainness(store, record), default=(krp or prunes)[0])
    rival = next((other for other in prunes if other.method != run.method
                  and other.summary["target_sparsity"] == run.summary["target_sparsity"]), None)
    dataset_query = {} if run.dataset.startswith("file:") else {"dataset": run.dataset}
    visits = [PageVisit("Overview", "/", {"model": run.model, **dataset_query}, "Trade-off", 1),
              PageVisit("Prune", "/prune", prune_query(store, run), "Reconstruction error per layer", 4)]
    infos = list_attack_runs(store)
    if infos:
        # the attack the pickers show first (their first attacked run, its first recipe): a sidebar click lands there,
        # so links and clicks time the same view, and its projection is computed below
        first_target = next(iter(attacked_runs(store, infos).values()))
        attack = next(info for info in infos if info.target_run_id == first_target)
        query = {"run": attack.target_run_id, "attack": attack.run_id}
        # the page's PCA is a worker job in the app, computed on the first look: here once, before timing
        from robustprune.attack.layer_auc import layer_auc_run_id
        from robustprune.attack.projection import ensure_projection, projection_run_id

        if store.get(projection_run_id(attack.run_id)) is None:
            print(f"computing the projection of {attack.run_id} (the Embeddings page's PCA) first", flush=True)
            ensure_projection(attack.run_id, store)
        charts = 3 if store.get(layer_auc_run_id(attack.run_id)) is not None else 2  # similarity, AUC, projection
        visits += [PageVisit("Attacks", "/attacks", query, "prediction on the perturbed text", 0),
                   PageVisit("Embeddings", "/embeddings", query, "The pairs in two dimensions", charts)]
    structured = [record for record in store.list(kind="structured") if record.method == "kprune"]
    if structured:
        visits.append(PageVisit("K-prune", "/prune", {"run": structured[0].run_id}, "What each layer kept", 2,
                                sidebar="Prune"))
    frontiers = store.list(kind="frontier", model=run.model, dataset=run.dataset)
    if frontiers:  # the newest frontier's question, as a link to it asks it: its answer drawn, nothing computed
        from robustprune.dashboard.links import frontier_query

        answers = frontiers[0].summary["frontiers"]
        # by link only (``sidebar`` set): the sidebar opens the page on its default question, not this one
        visits.append(PageVisit("Frontier", "/frontier", frontier_query(frontiers[0].summary["request"]),
                                f"{answers[0]['label']} under {answers[0]['recipe']}", len(answers),
                                sidebar="Frontier"))
    compare = {"a": run.run_id, "b": rival.run_id} if rival else {}
    visits.append(PageVisit("Runs", "/runs", compare, "Compare two runs", 1 if rival else 0))
    return visits


def preset_switches(store: RunStore) -> tuple[PageVisit, list[tuple[float, str]]] | None:
    """The Prune page of the method with the most cached paper levels, and (level, run id) to click through."""
    from robustprune.dashboard.choices import PAPER_SPARSITY_PERCENT

    from robustprune.prune import PruneConfig

    def shown_by_the_form(record, percent: float, calibration: int) -> bool:
        """The run the Prune page shows for this level: every other setting at its default."""
        wanted = PruneConfig(record.method, percent / 100, calibration=calibration).to_dict()
        return record.summary["config"] == wanted and record.summary.get("dense_start", "finetune") == "finetune"

    best: list = []
    for run in store.list(kind="prune"):
        calibration = run.summary["config"]["calibration"]
        levels = [(percent, other.run_id) for percent in PAPER_SPARSITY_PERCENT for other in store.list(
            kind="prune", model=run.model, dataset=run.dataset)
            if other.method == run.method and other.parent == run.parent
            and shown_by_the_form(other, percent, calibration)]
        if len(levels) > len(best):
            best, chosen = levels, run
    if len(best) < 2:
        return None
    query = {"model": chosen.model, "dataset": chosen.dataset, "method": chosen.method,
             "calibration": chosen.summary["config"]["calibration"], "sparsity": f"{best[0][0]:g}"}
    return PageVisit("Prune", "/prune", query, best[0][1], 4), best


def switch_seconds(page, level: float, run_id: str) -> float:
    """Click a paper level on the Prune page; until that run's results are drawn."""
    start = time.perf_counter()
    page.get_by_role("radio", name=f"{level:g}%", exact=True).click()
    wait_rendered(page, run_id, charts=4, timeout_ms=60_000)
    return time.perf_counter() - start


def click_seconds(page, visit: PageVisit) -> float:
    """Click the page's link in the sidebar (no reload: the session, its selections and caches stay)."""
    start = time.perf_counter()
    page.locator("[data-testid='stSidebarNav']").get_by_role("link", name=visit.name, exact=True).click()
    # (pages reached through another page's link, like a K-prune run on Prune, are timed as links only)
    wait_rendered(page, visit.text, visit.charts if visit.name != "Runs" else 0, timeout_ms=120_000)
    return time.perf_counter() - start


def visit_seconds(page, server: DashboardServer, visit: PageVisit) -> float:
    start = time.perf_counter()
    page.goto(server.url(visit.path, **visit.query))
    wait_rendered(page, visit.text, visit.charts, timeout_ms=120_000)
    return time.perf_counter() - start


ELEMENTS = "[data-testid='stMain'] [data-testid='stElementContainer']"


def element_count(page) -> int:
    """The elements Streamlit drew in the page's main column (texts, widgets, charts, ...; not the layout blocks):
    a click costs each of them a few milliseconds in the browser (``bench.bench_streamlit_elements``)."""
    return page.evaluate(f"document.querySelectorAll({ELEMENTS!r}).length")


def save_screenshot(page, path: Path) -> None:
    """The whole page (the viewport grown to the content's height), as a 256-colour PNG to keep it small."""
    height = page.evaluate("""document.querySelector('[data-testid="stMain"]').scrollHeight""")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": min(max(height, VIEWPORT["height"]), 3200)})
    page.wait_for_timeout(1500)  # charts re-layout to the new size; tables draw
    page.screenshot(path=str(path))
    page.set_viewport_size(VIEWPORT)
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as image:
        image.convert("RGB").quantize(256, dither=Image.Dither.NONE).save(path, optimize=True)


class Baseline:
    """The one-line app in its own server and browser tab: a link opened, or a sidebar click to the other page;
    and its reference page (a cached Prune view's kinds of elements in plain Streamlit), by link and by click."""

    def __init__(self, page, server: DashboardServer) -> None:
        self.page, self.server, self.shown = page, server, "two"
        self.links: list[float] = []
        self.clicks: list[float] = []
        self.reference_links: list[float] = []
        self.reference_clicks: list[float] = []
        self.row_clicks: list[float] = []

    def reference(self) -> None:
        """The reference page by link, then by a click from a one-line page (and back, untimed)."""
        start = time.perf_counter()
        self.page.goto(self.server.url("/elements"))
        wait_rendered(self.page, "reference page", charts=4, timeout_ms=60_000)
        self.reference_links.append(time.perf_counter() - start)
        navigation = self.page.locator("[data-testid='stSidebarNav']")
        navigation.get_by_role("link", name="One", exact=True).click()
        wait_rendered(self.page, "baseline one", timeout_ms=60_000)
        start = time.perf_counter()
        navigation.get_by_role("link", name="Elements", exact=True).click()
        wait_rendered(self.page, "reference page", charts=4, timeout_ms=60_000)
        self.reference_clicks.append(time.perf_counter() - start)
        self.reference_elements = element_count(self.page)
        navigation.get_by_role("link", name="Two", exact=True).click()
        wait_rendered(self.page, "baseline two", timeout_ms=60_000)
        self.shown = "two"

    def table_rows(self, rows: tuple[int, ...] = (1, 0)) -> None:
        """Rows of the table page clicked (Streamlit's own cost of a table-row click; the page reached untimed)."""
        navigation = self.page.locator("[data-testid='stSidebarNav']")
        navigation.get_by_role("link", name="Table", exact=True).click()
        wait_rendered(self.page, "table row", timeout_ms=60_000)
        for row in rows:
            start = time.perf_counter()
            click_row(self.page.locator("[data-testid='stDataFrame']").first, row)
            wait_rendered(self.page, f"table row {row} chosen", timeout_ms=60_000)
            self.row_clicks.append(time.perf_counter() - start)
        navigation.get_by_role("link", name="Two", exact=True).click()
        wait_rendered(self.page, "baseline two", timeout_ms=60_000)
        self.shown = "two"

    def link(self) -> None:
        start = time.perf_counter()
        self.page.goto(self.server.url("/two"))
        wait_rendered(self.page, "baseline two", timeout_ms=60_000)
        self.links.append(time.perf_counter() - start)
        self.shown = "two"

    def click(self) -> None:
        target = "one" if self.shown == "two" else "two"
        start = time.perf_counter()
        self.page.locator("[data-testid='stSidebarNav']").get_by_role("link", name=target.title(), exact=True).click()
        wait_rendered(self.page, f"baseline {target}", timeout_ms=60_000)
        self.clicks.append(time.perf_counter() - start)
        self.shown = target


def example_switches(store: RunStore, visits: list[PageVisit]) -> tuple[PageVisit, list[int]] | None:
    """The Attacks page's visit and two rows of its examples table whose examples have cached attributions."""
    from robustprune.attack.explain import cached_explanation

    attack = next((visit for visit in visits if visit.name == "Attacks"), None)
    if attack is None:
        return None
    explained = [index for index in range(100) if cached_explanation(store, attack.query["attack"], index)]
    if len(explained) < 2:
        return None
    return attack, explained[:2]


def click_row(table, row: int) -> None:
    """Click row ``row`` (from 0) of a ``st.dataframe`` (a canvas: by position)."""
    table.scroll_into_view_if_needed()  # a button below it, clicked before, may have scrolled it away
    box = table.bounding_box()
    row_height = 35  # Streamlit's default row height, header included
    table.page.mouse.click(box["x"] + 12, box["y"] + row_height * (row + 1) + row_height / 2)


def example_seconds(page, row: int) -> float:
    """Click row ``row`` of the examples table (the example with that index, unfiltered) until it is drawn."""
    start = time.perf_counter()
    click_row(page.locator("[data-testid='stDataFrame']").nth(1), row)  # 0: the summary
    wait_rendered(page, f"Example {row}:", charts=1, timeout_ms=60_000)
    wait_rendered(page, "sparse · adversarial", charts=1, timeout_ms=60_000)
    return time.perf_counter() - start


def next_example_seconds(page, shown: int, count: int) -> tuple[float, int]:
    """Click the Next button beside the example picker (all examples shown) until the next example is drawn."""
    following = (shown + 1) % count
    start = time.perf_counter()
    page.get_by_role("button", name="Next").click()
    wait_rendered(page, f"Example {following}:", timeout_ms=60_000)
    return time.perf_counter() - start, following


def verdict(ratio: float) -> str:
    return "ok" if ratio <= GOAL_RATIO else f"over by {ratio / GOAL_RATIO - 1:.0%}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", default=os.environ.get("ROBUSTPRUNE_HOME"),
                        help="the run store to serve (default: $ROBUSTPRUNE_HOME or ~/.cache/robustprune)")
    parser.add_argument("--repeats", type=int, default=5, help="cached visits per page (default 5)")
    parser.add_argument("--screenshots", default=None, help="save a PNG of each page here (e.g. assets)")
    parser.add_argument("--charts", choices=("interactive", "static"), default="interactive",
                        help="how the app and the reference page draw charts (default: interactive, the app's "
                             "default)")
    args = parser.parse_args()
    if missing_browser():
        raise SystemExit(f"cannot run: {missing_browser()}")
    store = RunStore(args.home)
    visits = cached_visits(store)
    env = {**os.environ, "ROBUSTPRUNE_HOME": str(store.root), "ROBUSTPRUNE_NO_AUTOWORKER": "1",
           "ROBUSTPRUNE_CHARTS": args.charts}

    from playwright.sync_api import sync_playwright

    logs = Path(tempfile.mkdtemp(prefix="bench-dashboard-"))
    with DashboardServer(env, logs / "streamlit.log") as server, \
            DashboardServer(env, logs / "baseline.log", app=ONE_LINE_APP) as baseline_server, \
            sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        page = browser.new_page(viewport=VIEWPORT)
        baseline = Baseline(browser.new_page(viewport=VIEWPORT), baseline_server)
        baseline.link()  # the baseline's imports and first session
        first = {visit.name: visit_seconds(page, server, visit) for visit in visits}
        cached = {visit.name: [] for visit in visits}
        elements = {}
        for _ in range(args.repeats):
            for visit in visits:
                cached[visit.name].append(visit_seconds(page, server, visit))
                elements[visit.name] = element_count(page)
                baseline.link()
        clicks = {visit.name: [] for visit in visits if visit.sidebar is None}
        visit_seconds(page, server, visits[-1])
        for _ in range(args.repeats):
            for visit in visits:
                if visit.sidebar is None:
                    clicks[visit.name].append(click_seconds(page, visit))
                    baseline.click()
            baseline.reference()
        elements["reference"] = baseline.reference_elements
        switches = preset_switches(store)
        switch_times = []
        if switches is not None:
            start_visit, levels = switches
            visit_seconds(page, server, start_visit)
            for _ in range(args.repeats):
                for level, run_id in levels[1:] + levels[:1]:
                    switch_times.append(switch_seconds(page, level, run_id))
                    baseline.click()
        examples = example_switches(store, visits)
        example_times, next_times = [], []
        if examples is not None:
            attack_visit, rows = examples
            first_example = {**attack_visit.query, "example": str(rows[0])}
            visit_seconds(page, server, PageVisit(attack_visit.name, attack_visit.path, first_example,
                                                  "sparse · adversarial", 1))
            for _ in range(args.repeats):
                for row in rows[1:] + rows[:1]:
                    example_times.append(example_seconds(page, row))
                    baseline.click()
                baseline.table_rows()
            from robustprune.figures.attacks import load_attack_result

            count = len(load_attack_result(store.require(attack_visit.query["attack"])).examples)
            visit_seconds(page, server, PageVisit(attack_visit.name, attack_visit.path, first_example,
                                                  "sparse · adversarial", 1))
            shown = rows[0]
            for _ in range(2 * args.repeats):
                seconds, shown = next_example_seconds(page, shown, count)
                next_times.append(seconds)
                baseline.click()
        if args.screenshots:
            Path(args.screenshots).mkdir(parents=True, exist_ok=True)
            for visit in visits:
                visit_seconds(page, server, visit)
                save_screenshot(page, Path(args.screenshots) / f"dashboard-{visit.name.lower()}.png")
        browser.close()

    link_baseline, click_baseline = statistics.median(baseline.links), statistics.median(baseline.clicks)
    reference_link, reference_click = (statistics.median(baseline.reference_links),
                                       statistics.median(baseline.reference_clicks))
    print(f"store {store.root}; {args.charts} charts; medians of {args.repeats} after a first visit; baselines in the "
          f"same run: a one-line Streamlit page, {link_baseline:.2f} s by link ({len(baseline.links)} times), "
          f"{click_baseline:.2f} s by sidebar click ({len(baseline.clicks)} times); the reference page, "
          f"{reference_link:.2f} s by link, {reference_click:.2f} s by click; goal: within {GOAL_RATIO}x of the "
          "reference page")
    print(f"{'view':<12} {'first load':>10} {'link opened':>12} {'x one-line':>10} {'x reference':>11} "
          f"{'sidebar click':>14} {'x one-line':>10} {'x reference':>11} {'elements':>8}   verdict (link / click)")
    for visit in visits:
        opened = statistics.median(cached[visit.name])
        line = (f"{visit.name:<12} {first[visit.name]:>10.2f} {opened:>12.2f} {opened / link_baseline:>10.2f} "
                f"{opened / reference_link:>11.2f} ")
        if visit.name in clicks:
            clicked = statistics.median(clicks[visit.name])
            line += (f"{clicked:>14.2f} {clicked / click_baseline:>10.2f} {clicked / reference_click:>11.2f} "
                     f"{elements[visit.name]:>8}   {verdict(opened / reference_link)} / "
                     f"{verdict(clicked / reference_click)}")
        else:
            line += f"{'(a link)':>14} {'':>10} {'':>11} {elements[visit.name]:>8}   {verdict(opened / reference_link)}"
        print(line)
    print(f"{'reference':<12} {'':>10} {reference_link:>12.2f} {reference_link / link_baseline:>10.2f} {1:>11.2f} "
          f"{reference_click:>14.2f} {reference_click / click_baseline:>10.2f} {1:>11.2f} {elements['reference']:>8}   "
          "(plain Streamlit: a Prune view's kinds of elements, bench/one_line_app.py)")
    row_click = statistics.median(baseline.row_clicks) if baseline.row_clicks else None
    for label, times in (("Prune: paper level clicked, cached run redrawn", switch_times),
                         ("Attacks: another example clicked (attributions cached)", example_times),
                         ("Attacks: Next example button (explained or not)", next_times)):
        if times:
            median = statistics.median(times)
            row_ratio = (f", x table-row click {median / row_click:.2f}" if row_click and times is example_times
                         else "")
            print(f"{label:<56} median {median:.2f} s (min {min(times):.2f}, max {max(times):.2f}, "
                  f"{len(times)} clicks), x one-line click {median / click_baseline:.2f}, x reference click "
                  f"{median / reference_click:.2f}{row_ratio}   "
                  f"{verdict(median / (row_click if row_click and times is example_times else reference_click))}")
    if row_click:
        print(f"{'table-row click (plain Streamlit: a row of a table page)':<56} median {row_click:.2f} s "
              f"(min {min(baseline.row_clicks):.2f}, max {max(baseline.row_clicks):.2f}, {len(baseline.row_clicks)} "
              f"clicks), x one-line click {row_click / click_baseline:.2f}, x reference click "
              f"{row_click / reference_click:.2f}")


if __name__ == "__main__":
    main()
