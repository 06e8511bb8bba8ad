"""The Overview page: the trade-off curves of the cached runs of a model and dataset."""

import pytest

from robustprune.store import RunStore
from tests.dashboard.conftest import open_page, plotly_figures, texts


def test_curves_have_a_line_per_method_and_a_point_per_run(home, workspace):
    app = open_page(model=workspace.model_dir)
    assert not app.exception and not app.error
    figure = plotly_figures(app)[0]  # unstructured runs; structured ones have their own figure
    store = RunStore()
    krp, sparsegpt = (store.require(run_id).summary for run_id in (workspace.krp_run_id, workspace.sparsegpt_run_id))
    lines = {(trace["name"], trace["xaxis"]): trace for trace in figure["data"]}
    clean_krp = lines[("krp", "x")]
    assert clean_krp["x"] == pytest.approx([0.0, krp["sparsity"]])  # the dense start, then the run
    assert clean_krp["y"] == pytest.approx([krp["accuracy_dense"], krp["accuracy_sparse"]])
    assert workspace.krp_run_id in [row[0] for row in clean_krp["customdata"]]  # hovering shows the run
    assert lines[("sparsegpt", "x")]["y"][-1] == pytest.approx(sparsegpt["accuracy_sparse"])
    # the constructed attack run on the krp run: 25% under attack, on a line or (collapsed tiny model) hollow
    under_attack = [(x, y) for trace in figure["data"] if trace["legendgroup"] == "krp" and trace["xaxis"] == "x2"
                    and "clean" not in trace["name"] for x, y in zip(trace["x"], trace["y"])]
    assert under_attack == [(pytest.approx(krp["sparsity"]), pytest.approx(0.25))]
    beside = lines[("krp · clean, attacked texts", "x2")]  # clean accuracy on the same 4 attacked texts
    assert beside["y"] == pytest.approx([0.75]) and beside["customdata"][0][2] == 4
    assert app.selectbox(key="recipe").value == "textfooler"


def test_no_runs_yet_says_where_to_start(empty_home):
    app = open_page()
    assert not app.exception
    assert any("No pruning runs yet" in message for message in texts(app.info))
    assert not [button for button in app.button if button.key == "start-sweep"]  # no fine-tune: nothing to start from


def test_after_the_first_fine_tune_the_overview_shows_it_and_offers_the_starter_grid(empty_home, workspace):
    """Only the fine-tune in the store: its accuracy with Wilson's interval, and one button that queues the starter
    grid (krp and magnitude at 50 / 70 / 87.5 %, TextBugger, 50 sentences or the whole of a smaller test split) on
    the default model and dataset as one sweep job, its estimate beside it."""
    import shutil

    from scipy.stats import binomtest

    from robustprune.data import load_task_data
    from robustprune.jobs import JobQueue

    shutil.copytree(workspace.home / "runs" / workspace.dense_run_id, empty_home / "runs" / workspace.dense_run_id)
    store = RunStore()
    store.reindex()
    summary = store.require(workspace.dense_run_id).summary
    app = open_page("pages/overview.py")  # named: AppTest loses a click on the app's default page
    assert not app.exception and not app.error
    interval = binomtest(round(summary["accuracy"] * summary["test_examples"]), summary["test_examples"]) \
        .proportion_ci(method="wilson")
    [shown] = [text for text in texts(app.success) if "clean accuracy" in text]
    assert f"{summary['accuracy']:.1%} clean accuracy on its {summary['test_examples']} test texts" in shown
    assert f"95 % interval {interval.low:.1%}–{interval.high:.1%}" in shown
    test_texts = len(load_task_data(workspace.csv).test)
    [estimate] = [text for text in texts(app.info) if "table rows" in text]
    # the dense start (cached) and its attack, 6 pruning runs and their attacks
    assert estimate.startswith("7 table rows from 14 runs: 1 of 14 runs cached")
    assert not JobQueue().list()

    app.button(key="start-sweep").click().run()
    assert not app.exception, app.exception
    [job] = JobQueue().list()
    assert job.kind == "sweep" and job.status == "queued"
    spec = job.params["spec"]
    assert (spec["methods"], spec["sparsities"], spec["recipes"]) == (["krp", "magnitude"], [0.5, 0.7, 0.875],
                                                                       ["textbugger"])
    assert spec["num_examples"] == min(50, test_texts) and spec["dense_starts"] == ["finetune"]
    assert spec["model"] == workspace.model_dir and spec["dataset"].endswith(workspace.csv_name)


def test_structured_runs_have_their_own_curves_over_flops_removed(home, workspace):
    app = open_page(model=workspace.model_dir)
    assert not app.exception and not app.error
    unstructured, structured = plotly_figures(app)
    summary = RunStore().require(workspace.structured_run_id).summary
    [line] = [trace for trace in structured["data"] if trace["name"] == "structured-magnitude"]
    removed = 1 - summary["flops_after"] / summary["flops_before"]
    assert line["x"] == pytest.approx([0.0, removed]) and line["y"][-1] == pytest.approx(summary["accuracy_sparse"])
    assert structured["layout"]["xaxis"]["title"]["text"] == "FLOPs removed"
    assert "structured-magnitude" not in {trace["legendgroup"] for trace in unstructured["data"]}


def test_a_clicked_point_names_its_run():
    from robustprune.figures.overview import clicked_run

    assert clicked_run({"points": [{"x": 0.5, "y": 0.8, "customdata": ["prune-abc", ""]}]}) == "prune-abc"
    assert clicked_run({"points": []}) is None and clicked_run(None) is None


def test_soup_started_runs_are_a_line_of_their_own(home, workspace):
    from robustprune.figures.overview import tradeoff_frame
    from robustprune.data import load_task_data
    from robustprune.pipeline import prune
    from robustprune.prune import PruneConfig
    from robustprune.soup import SoupConfig

    soup = SoupConfig(candidates=2)
    run = prune(PruneConfig("krp", 0.5, calibration=16), workspace.model_dir, load_task_data(workspace.csv), "cpu",
                dense="soup", soup_config=soup)
    frame = tradeoff_frame(RunStore(), workspace.model_dir, run.dataset)
    soup_line = frame[frame["method"] == "krp (soup)"]
    assert list(soup_line["run"]) == [run.dense_run_id, run.run_id]  # starts at the soup, not the fine-tune
    assert soup_line["accuracy"].tolist() == pytest.approx([run.accuracy_dense, run.accuracy_sparse])
    assert workspace.dense_run_id in set(frame[frame["method"] == "krp"]["run"])


def test_a_two_four_run_has_its_own_line_and_label(home, workspace):
    from robustprune.figures.runs import list_runs_frame
    from robustprune.data import load_task_data
    from robustprune.pipeline import prune
    from robustprune.prune import PruneConfig

    two_four = prune(PruneConfig("krp", 0.5, pattern="2:4", calibration=16), workspace.model_dir,
                     load_task_data(workspace.csv), "cpu")
    krp = RunStore().require(workspace.krp_run_id).summary
    app = open_page(model=workspace.model_dir)
    assert not app.exception and not app.error
    lines = {(trace["name"], trace["xaxis"]): trace for trace in plotly_figures(app)[0]["data"]}
    assert lines[("krp", "x")]["y"] == pytest.approx([krp["accuracy_dense"], krp["accuracy_sparse"]])
    assert lines[("krp 2:4", "x")]["y"] == pytest.approx([krp["accuracy_dense"], two_four.accuracy_sparse])
    assert [row[0] for row in lines[("krp 2:4", "x")]["customdata"]][-1] == two_four.run_id
    assert lines[("krp 2:4", "x")]["line"]["dash"] == "dot" and lines[("krp", "x")]["line"]["dash"] == "solid"
    table = app.dataframe[0].value
    assert {"krp", "krp 2:4"} <= set(table["method"])
    assert table["accuracy under attack"].isna().any()  # runs not attacked: shown blank, not as "None"
    assert app.dataframe[0].proto.HasField("placeholder") and app.dataframe[0].proto.placeholder == ""
    assert set(list_runs_frame()["method"]) >= {"krp", "krp 2:4"}


def test_a_collapsed_run_is_hollow_grey_under_attack_and_off_its_line():
    """Planted points: krp at 50% works, krp at 87.5% predicts one class; under attack the collapsed one is a grey
    hollow marker with its reason, and the line joins only the others."""
    import pandas as pd

    from robustprune.figures.overview import COLUMNS, UNDER_ATTACK, tradeoff_figure

    rows = [("krp", 0.0, UNDER_ATTACK, 0.30, "attack-a", False, None),
            ("krp", 0.5, UNDER_ATTACK, 0.25, "attack-b", False, None),
            ("krp", 0.875, UNDER_ATTACK, 0.47, "attack-c", True, "predicts negative for 97% of the 400 test texts")]
    frame = pd.DataFrame([{"method": m, "sparsity": x, "metric": metric, "accuracy": y, "run": run, "recipe": "tf",
                           "texts": 100, "collapsed": collapsed, "reason": reason}
                          for m, x, metric, y, run, collapsed, reason in rows], columns=COLUMNS)
    traces = {trace.name: trace for trace in tradeoff_figure(frame).data}
    assert list(traces["krp"].x) == [0.0, 0.5] and list(traces["krp"].y) == [0.30, 0.25]
    hollow = traces["krp (collapsed)"]
    assert list(hollow.x) == [0.875] and hollow.marker.symbol == "circle-open" and hollow.marker.color == "#b0b0b0"
    assert "collapsed: predicts negative for 97%" in hollow.customdata[0][3]


def test_seeds_at_one_point_are_their_mean_with_wilsons_interval_on_the_pooled_counts():
    """Three seeds right on 320, 304 and 312 of 400 texts: the point is their mean, its error bar Wilson's interval
    on 936 of 1200 (not their min–max, which the hover keeps)."""
    import pandas as pd
    from scipy.stats import binomtest

    from robustprune.figures.overview import CLEAN, COLUMNS, runs_table, tradeoff_figure

    frame = pd.DataFrame([{"method": "krp", "sparsity": 0.875, "metric": CLEAN, "accuracy": right / 400, "run": run,
                           "recipe": "", "texts": 400, "successes": right, "collapsed": False, "reason": None,
                           "versus_dense": ""}
                          for right, run in ((320, "prune-1"), (304, "prune-2"), (312, "prune-3"))], columns=COLUMNS)
    pooled = binomtest(936, 1200).proportion_ci(method="wilson")
    [trace] = tradeoff_figure(frame).data
    assert trace.y[0] == pytest.approx(0.78) and trace.error_y.visible
    assert trace.y[0] + trace.error_y.array[0] == pytest.approx(pooled.high)
    assert trace.y[0] - trace.error_y.arrayminus[0] == pytest.approx(pooled.low)
    one_seed = binomtest(312, 400).proportion_ci(method="wilson")  # the same accuracy on one seed's texts
    assert trace.error_y.array[0] < one_seed.high - 0.78  # pooled: 1200 texts, not 400
    assert trace.customdata[0][2] == 1200
    assert "3 seeds: 76.0%–80.0%" in trace.customdata[0][3] and "pooled over 3 seeds" in trace.customdata[0][3]
    table = runs_table(frame)
    assert table.loc[0, CLEAN] == pytest.approx(0.78) and table.loc[0, "runs"] == "3"
    assert (table.loc[0, f"{CLEAN} low"], table.loc[0, f"{CLEAN} high"]) == pytest.approx((pooled.low, pooled.high))
    assert table.loc[0, "collapsed"] == ""  # not collapsed: a blank cell, not "None"
    assert table.loc[0, "run"] == "prune-1"  # selecting the row opens the first of the runs there, as its point does


def _attacked_dense_start(workspace, results: dict[int, str], texts: dict[int, str] | None = None) -> str:
    """The constructed attack's sentences attacked on the dense start, with these results (index -> result)."""
    from dataclasses import replace

    from tests.dashboard.conftest import constructed_attack_result, write_attack_run

    result = constructed_attack_result()
    examples = [replace(example, result=results.get(example.index, example.result),
                        original_text=(texts or {}).get(example.index, example.original_text))
                for example in result.examples]
    summary = replace(result.summary, attacked_model="dense", failed_attacks=3, successful_attacks=0,
                      skipped_attacks=1, accuracy_under_attack=0.75, attack_success_rate=0.0)
    return write_attack_run(RunStore(), replace(result, summary=summary, examples=examples), workspace.dense_run_id)


def test_every_point_has_wilsons_interval_and_the_hover_the_paired_difference(home, workspace):
    """The planted store: krp at 50 % is robust on 1 of the 4 attacked sentences, its dense start (attacked on the
    same sentences) on 3 of them, and on both of the two discordant sentences only the dense start holds."""
    from scipy.stats import binomtest

    from robustprune.figures.overview import UNDER_ATTACK, points, tradeoff_figure, tradeoff_frame
    from robustprune.stats.intervals import newcombe_paired_difference

    dense_attack = _attacked_dense_start(workspace, {0: "failed", 1: "failed"})  # 2: failed, 3: skipped as before
    frame = tradeoff_frame(RunStore(), workspace.model_dir, RunStore().require(workspace.krp_run_id).dataset)
    figure = tradeoff_figure(frame)
    # on the line, or (the tiny model collapsed) a hollow marker of its own
    [krp] = [trace for trace in figure.data if trace.legendgroup == "krp" and trace.xaxis == "x2"
             and "clean" not in trace.name and workspace.attack_run_id in [data[0] for data in trace.customdata]]
    at = [data[0] for data in krp.customdata].index(workspace.attack_run_id)
    wilson = binomtest(1, 4).proportion_ci(method="wilson")
    assert krp.y[at] == pytest.approx(0.25)
    assert (krp.y[at] - krp.error_y.arrayminus[at], krp.y[at] + krp.error_y.array[at]) == pytest.approx(
        (wilson.low, wilson.high))
    difference, low, high = newcombe_paired_difference(1, 0, 2, 1)  # both, only krp, only dense, neither
    assert difference == pytest.approx(-0.5)
    expected = f"{difference * 100:+.1f} points ({low * 100:+.1f}, {high * 100:+.1f}), p 0.50, paired"
    assert expected.replace("-", "−") in krp.customdata[at][3]
    dense = points(frame)
    dense = dense[(dense["metric"] == UNDER_ATTACK) & (dense["x"] == 0.0) & (dense["method"] == "krp")].iloc[0]
    assert dense["run"] == dense_attack and (dense["low"], dense["high"]) == pytest.approx(
        tuple(binomtest(3, 4).proportion_ci(method="wilson")))
    # every clean point: Wilson on its accuracy's count of the test split's texts
    [clean] = [trace for trace in figure.data if trace.name == "krp" and trace.xaxis == "x"]
    for y, plus, minus, data in zip(clean.y, clean.error_y.array, clean.error_y.arrayminus, clean.customdata):
        interval = binomtest(round(y * data[2]), data[2]).proportion_ci(method="wilson")
        assert (y - minus, y + plus) == pytest.approx((interval.low, interval.high))


def test_a_dense_start_attacked_on_other_sentences_is_compared_unpaired(home, workspace):
    from robustprune.figures.overview import UNDER_ATTACK, tradeoff_frame

    _attacked_dense_start(workspace, {0: "failed", 1: "failed"}, texts={0: "a sentence the pruned run never saw"})
    frame = tradeoff_frame(RunStore(), workspace.model_dir, RunStore().require(workspace.krp_run_id).dataset)
    [versus] = frame[(frame["metric"] == UNDER_ATTACK) & (frame["run"] == workspace.attack_run_id)]["versus_dense"]
    assert versus.startswith("−50.0 points") and versus.endswith(", unpaired")


def test_seeds_of_which_only_some_were_attacked_are_one_row():
    """Five runs at 70 % (achieved sparsities a little apart), three of them attacked: one row, its clean accuracy
    over the five and its accuracy under attack over the three (their mean sparsity is not the five's: the table
    split them into two half-empty rows)."""
    import pandas as pd

    from robustprune.figures.overview import CLEAN, COLUMNS, UNDER_ATTACK, runs_table

    sparsities = [0.70001, 0.70003, 0.70002, 0.70004, 0.70000]
    rows = [{"method": "krp", "sparsity": x, "metric": CLEAN, "accuracy": 0.80 + i / 100, "run": f"prune-{i}",
             "recipe": "", "texts": 400, "collapsed": False, "reason": None} for i, x in enumerate(sparsities)]
    rows += [{"method": "krp", "sparsity": x, "metric": UNDER_ATTACK, "accuracy": 0.20 + i / 100,
              "run": f"attack-{i}", "recipe": "tf", "texts": 100, "collapsed": False, "reason": None}
             for i, x in enumerate(sparsities[:3])]
    table = runs_table(pd.DataFrame(rows, columns=COLUMNS))
    assert len(table) == 1
    row = table.iloc[0]
    assert row[CLEAN] == pytest.approx(0.82) and row[UNDER_ATTACK] == pytest.approx(0.21)
    assert row["sparsity"] == pytest.approx(sum(sparsities) / 5) and row["run"] == "prune-0"
    assert row["runs"] == "5, 3 attacked"


def test_runs_with_the_papers_settings_are_a_line_of_their_own():
    from types import SimpleNamespace

    from robustprune.figures.overview import line_dash, overview_line

    record = SimpleNamespace(kind="prune", method="krp", summary={
        "dense_start": "soup", "method": "krp", "config": {"refit_head": True, "calibration": 512}})
    assert overview_line(record, {"config": {"criterion": "attack"}}) == "krp (paper setup)"
    assert overview_line(record, {"config": {"criterion": "clean"}}) == "krp+refit (soup)"  # not the paper's soup
    assert line_dash("krp (paper setup)") == "dash"  # soup-started, like every soup line


def test_runs_with_other_options_of_a_method_are_lines_of_their_own():
    """krp, krp with the re-fitted head and krp with adversarial calibration at one sparsity are three points,
    not three "seeds" of one averaged point."""
    from types import SimpleNamespace

    from robustprune.figures.overview import line_dash, overview_line
    from robustprune.labels import line_method, line_pattern

    def run(**config):
        return SimpleNamespace(kind="prune", method="krp", summary={"method": "krp", "config": config})

    lines = [overview_line(run(calibration=128), None), overview_line(run(calibration=128, refit_head=True), None),
             overview_line(run(calibration=128, calibration_adversarial=128), None),
             overview_line(run(calibration=128, refit_head=True, pattern="2:4"), None)]
    assert lines == ["krp", "krp+refit", "krp+adv=128", "krp+refit 2:4"]
    assert {line_method(line) for line in lines} == {"krp"}  # one colour family, the method's
    assert line_pattern("krp+refit 2:4") == "2:4" and line_dash("krp+adv=128") == "solid"


def test_a_methods_variants_are_shades_of_its_colour_and_the_preset_stands_out():
    """One hue per method, a shade per variant (told apart in the legend and on the chart), the paper's setup the
    darkest and thickest line."""
    import colorsys

    import pandas as pd

    from robustprune.figures.overview import CLEAN, COLUMNS, METHOD_COLOURS, line_colour, tradeoff_figure

    lines = ["krp", "krp+refit", "krp+adv=128", "krp+refit+adv=128", "krp (soup)", "krp (paper setup)"]
    colours = {line: line_colour(line, METHOD_COLOURS["krp"]) for line in lines}
    assert colours["krp"] == colours["krp (soup)"] == METHOD_COLOURS["krp"]  # the start is the dash, not the colour
    assert len({colours[line] for line in lines if line != "krp (soup)"}) == 5

    def hue_and_lightness(colour: str) -> tuple[float, float]:
        hue, lightness, _ = colorsys.rgb_to_hls(*(int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)))
        return hue, lightness

    base_hue, base_lightness = hue_and_lightness(METHOD_COLOURS["krp"])
    for line in lines:
        assert hue_and_lightness(colours[line])[0] == pytest.approx(base_hue, abs=0.02)
    lightness = {line: hue_and_lightness(colour)[1] for line, colour in colours.items()}
    assert lightness["krp (paper setup)"] < lightness["krp+refit"] < base_lightness < lightness["krp+adv=128"]

    frame = pd.DataFrame([{"method": line, "sparsity": 0.5, "metric": CLEAN, "accuracy": 0.8, "run": f"prune-{n}",
                           "recipe": "", "texts": 400, "collapsed": False, "reason": None}
                          for n, line in enumerate(("krp", "krp (paper setup)"))], columns=COLUMNS)
    widths = {trace.name: trace.line.width for trace in tradeoff_figure(frame).data}
    assert widths["krp (paper setup)"] > widths["krp"]


def test_the_page_refreshes_only_while_jobs_run(home, workspace, auto_reruns):
    """The Overview asked the browser for a rerun every 2 s, jobs or none, and read the job table each time."""
    from robustprune.jobs import JobQueue

    app = open_page(model=workspace.model_dir)
    assert not app.exception and auto_reruns == []  # no job: nothing to refresh
    queue = JobQueue()
    job = queue.submit("finetune", {"model": "planted", "dataset": "planted"})
    app = open_page(model=workspace.model_dir)
    # the page's own refresh (runs appear on the curves as they finish) and the sidebar's job list, every 2 s
    assert not app.exception and len({fragment for fragment, _ in auto_reruns}) == 2
    assert {seconds for _, seconds in auto_reruns} == {2.0}

    queue.claim(worker_pid=1)
    queue.finish(job.job_id, error="RobustPruneError: planted failure")
    auto_reruns.clear()
    app = open_page(model=workspace.model_dir)
    assert not app.exception and auto_reruns == []  # the job ended: nothing refreshes


def stored_frontier(store: RunStore, workspace, recipe: str, frontier: float) -> tuple[str, object]:
    """A frontier of krp on the workspace's model and dataset, its answer from a search on planted outcomes (the
    search itself is tested in tests/frontier), stored as ``robustprune frontier`` stores one."""
    from robustprune.frontier.answer import FrontierAnswer
    from robustprune.frontier.run import FrontierResult, save_frontier
    from robustprune.frontier.search import search_frontier
    from robustprune.requests.frontier import FrontierRequest
    from robustprune.sweep.spec import SweepSpec
    from tests.frontier.test_search import PAPER_LEVELS, planted
    from robustprune.data import load_task_data

    request = FrontierRequest(SweepSpec(model=workspace.model_dir, dataset=workspace.csv, methods=("krp",),
                                        recipes=(recipe,)))
    search = search_frontier(PAPER_LEVELS, 0.025, 0.05, planted(frontier)[0])
    answer = FrontierAnswer.of(search, "krp", "krp", recipe, 400, 1)
    save_frontier(store, FrontierResult(request, [answer]), load_task_data(workspace.csv).name)
    return request.run_id(), answer


def test_a_stored_frontier_is_a_band_on_the_under_attack_panel_that_opens_it(home, workspace):
    """The band spans the highest kept to the lowest lost sparsity, in the krp line's colour, hovers the answer's line,
    and its run id (a click) opens the frontier on the Frontier page; another recipe's frontier is not drawn."""
    from robustprune.dashboard import links

    store = RunStore()
    run_id, answer = stored_frontier(store, workspace, "textfooler", 0.61)
    stored_frontier(store, workspace, "textbugger", 0.42)  # the Overview shows textfooler (the recipe attacked)
    app = open_page(model=workspace.model_dir)
    assert not app.exception and not app.error
    figure = plotly_figures(app)[0]
    [band] = [trace for trace in figure["data"] if trace["name"].endswith("frontier")]
    assert band["name"] == "krp frontier" and band["xaxis"] == "x2" and band["fill"] == "toself"
    assert answer.attack.kept_up_to < answer.attack.lost_from
    assert (min(band["x"]), max(band["x"])) == pytest.approx((answer.attack.kept_up_to, answer.attack.lost_from))
    assert answer.line() in band["text"]
    [krp_line] = [trace for trace in figure["data"] if trace["name"] == "krp" and trace["xaxis"] == "x"]
    assert band["line"]["color"] == krp_line["line"]["color"]
    assert band["customdata"][0][0] == run_id
    assert links.run_view(store, run_id)[0] == "pages/frontier.py"


def test_a_method_kept_at_every_level_has_no_band():
    from robustprune.figures.frontier_bands import frontier_bands
    from robustprune.frontier.run import FrontierResult, save_frontier
    from robustprune.requests.frontier import FrontierRequest
    from robustprune.sweep.spec import SweepSpec
    from robustprune.frontier.answer import FrontierAnswer
    from robustprune.frontier.search import search_frontier
    from tests.frontier.test_search import PAPER_LEVELS, planted

    store = RunStore()
    search = search_frontier(PAPER_LEVELS, 0.025, 0.05, planted(0.95)[0])  # never lost up to 87.5 %
    answer = FrontierAnswer.of(search, "krp", "krp", "textbugger", 400, 1)
    assert answer.attack.lost_from is None
    save_frontier(store, FrontierResult(FrontierRequest(SweepSpec(model="m", dataset="d")), [answer]), "d")
    assert frontier_bands(store, "m", "d") == []


def test_a_frontier_undecided_above_its_highest_kept_level_is_an_open_band():
    """Nothing lost, the levels above 50 % undecided: the frontier lies above 50 %, a fainter dashed band from there to
    the highest level probed that says so; kept at every level: no band."""
    from robustprune.figures.frontier_bands import band_trace, frontier_bands
    from robustprune.frontier.answer import Boundary, FrontierAnswer
    from robustprune.frontier.run import FrontierResult, save_frontier
    from robustprune.requests.frontier import FrontierRequest
    from robustprune.sweep.spec import SweepSpec

    undecided = Boundary(0.5, None, [0.55, 0.7, 0.875], [], 553, 0.875)
    kept = Boundary(0.875, None, [], [], None, 0.875)
    answers = [FrontierAnswer("krp", "krp", "textbugger", 200, 1, 0.05, 0.05, undecided, kept),
               FrontierAnswer("sparsegpt", "sparsegpt", "textbugger", 200, 1, 0.05, 0.05, kept, kept)]
    store = RunStore()
    save_frontier(store, FrontierResult(FrontierRequest(SweepSpec(model="m", dataset="d",
                                                                  methods=("krp", "sparsegpt"))), answers), "d")
    [band] = frontier_bands(store, "m", "d", "textbugger")
    assert (band.line, band.low, band.high, band.open) == ("krp", 0.5, 0.875, True)
    trace = band_trace(band, "#ef553b", show_recipe=False)
    assert "above 50 % (not lost up to 87.5 %" in trace.text and trace.line.dash == "dash"
    assert min(trace.x) == 0.5 and max(trace.x) == 0.875
