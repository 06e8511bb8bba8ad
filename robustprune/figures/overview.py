"""The Overview page's data: the trade-off curves of every cached run of a model and dataset.

x is the achieved sparsity of an unstructured pruning run, or the fraction of FLOPs a
structured run (K-prune, structured magnitude) removed, in a figure of its own; y its clean
test accuracy, or its accuracy under attack (from attack runs on it). Every line starts
from its dense start at x = 0: the fine-tuned model, or the greedy soup for the lines of
soup-started runs. A line is a method with its N:M pattern and dense start
(``robustprune.labels.line_label``: "krp", "krp 2:4", "krp (soup)"). Each point carries its
run id, so a click opens that run.

Every point carries its 95 % interval: Wilson's (``robustprune.stats.wilson_interval``) on its
successes out of its texts (clean accuracy: the test split's texts; under attack: the attack's
examples); where several seeds meet, Wilson on the pooled counts (Σ successes / Σ texts), the
seeds' min–max beside it in the hover. A pruned point under attack also carries its difference
from its dense start's attack with the same recipe (``robustprune.stats.compare``: paired when
the stored sentences match), read from the cached per-example records, each attack run once.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from robustprune.figures.attacks import list_attack_runs
from robustprune.figures.versus_dense import DenseComparisons
from robustprune.labels import line_label, line_method, line_pattern, method_label, pattern_of
from robustprune.store import PRUNING_KINDS, RunStore

METHOD_ORDER = ("krp", "sparsegpt", "wanda", "magnitude", "kprune", "structured-magnitude")  # the papers' first

CLEAN, UNDER_ATTACK = "clean accuracy", "accuracy under attack"
CLEAN_ATTACKED = "clean accuracy on the attacked texts"  # beside accuracy under attack: the same texts
VERSUS_DENSE = "under attack vs dense start"  # runs_table's column: the difference in points, its interval and p
X_TITLES = {"prune": "sparsity", "structured": "FLOPs removed"}
COLUMNS = ["method", "sparsity", "metric", "accuracy", "run", "recipe", "texts", "successes", "collapsed", "reason",
           "versus_dense"]
METHOD_COLOURS = {"krp": "#ef553b", "sparsegpt": "#636efa", "wanda": "#00cc96", "magnitude": "#ab63fa",
                  "kprune": "#ef553b", "structured-magnitude": "#ab63fa"}
PALETTE = ["#ffa15a", "#19d3f3", "#ff6692", "#b6e880"]
GREY = "#b0b0b0"


def model_dataset_pairs(store: RunStore | None = None) -> list[tuple[str, str]]:
    """(model, dataset) of every cached pruning run (unstructured or structured), most recent first; from the index
    (``RunStore.index_values``): a damaged run's pair is still offered, and its curves leave the run out."""
    return (store or RunStore()).index_values("model", "dataset", kinds=PRUNING_KINDS)


def dense_accuracies(store: RunStore | None = None) -> pd.DataFrame:
    """Every fine-tuned model's clean test accuracy with its 95 % Wilson interval on the test split's texts, most
    recent first: what the Overview shows before the first pruning run."""
    from robustprune.stats import wilson_interval

    rows = []
    for record in (store or RunStore()).list(kind="finetune"):
        accuracy, tested = record.summary["accuracy"], record.summary.get("test_examples")
        low, high = wilson_interval(int(_successes(accuracy, tested)), tested) if tested else (accuracy, accuracy)
        rows.append({"model": record.model, "dataset": record.dataset, CLEAN: accuracy, f"{CLEAN} low": low,
                     f"{CLEAN} high": high, "texts": tested, "run": record.run_id})
    return pd.DataFrame(rows, columns=["model", "dataset", CLEAN, f"{CLEAN} low", f"{CLEAN} high", "texts", "run"])


def budget(record) -> float:
    """x of a run: the achieved sparsity, or for a structured run the fraction of FLOPs removed."""
    summary = record.summary
    if record.kind == "structured":
        return 1.0 - summary["flops_ratio"]  # StructuredResult.flops_ratio, stored with the run
    return summary["sparsity"]


def overview_line(record, dense_summary: dict | None) -> str:
    """The curve of a pruning run: ``labels.line_label``, or "krp (paper setup)" for a run with a preset's settings
    (``robustprune.presets``: the same run, whichever way it was asked for)."""
    from robustprune.presets import preset_of

    if record.kind == "prune" and (preset := preset_of(record.summary, dense_summary)):
        return f"{method_label(record.method, pattern_of(record.summary))} ({preset} setup)"
    return line_label(record)


def collapse(record):
    """The collapse check of a pruning run's recorded test predictions (``robustprune.collapse``), or None."""
    from robustprune.prune.results import recorded_collapse

    return recorded_collapse(record.summary)


def tradeoff_frame(store: RunStore | None, model: str, dataset: str, recipe: str | None = None,
                   kind: str = "prune", attacks: list | None = None) -> pd.DataFrame:
    """Long form: one row per (run, metric) point of the pruning runs of ``kind`` ("prune": x is the sparsity;
    "structured": x is the fraction of FLOPs removed); ``recipe`` picks the attack runs (None: all).

    Each line starts at x = 0 from its own dense start (a fine-tuned model, or the soup). ``texts`` is how many
    texts a number is on: clean accuracy on the whole test split; accuracy under attack, and clean accuracy on the
    same attacked texts, on the attack's texts. A collapsed run (``collapsed``, with its ``reason``) predicts
    (nearly) one class: its accuracy under attack is no robustness. Runs of several seeds share a point.
    ``attacks``: the store's attack runs when already listed (``attacks.list_attack_runs``), else listed here.
    """
    store = store or RunStore()
    runs = store.list(kind=kind, model=model, dataset=dataset)
    dense_records = {}
    rows, dense_of_line = [], {}
    point_of = {}
    for record in runs:
        if record.parent not in dense_records:
            dense_records[record.parent] = store.get(record.parent)
        dense = dense_records[record.parent]
        line = overview_line(record, dense.summary if dense else None)
        check = collapse(record)
        collapsed, reason = (check.collapsed, check.reason) if check is not None else (False, None)
        tested = dense.summary.get("test_examples") if dense else None
        rows.append({"method": line, "sparsity": budget(record), "metric": CLEAN,
                     "accuracy": record.summary["accuracy_sparse"], "run": record.run_id, "recipe": "",
                     "texts": tested, "successes": _successes(record.summary["accuracy_sparse"], tested),
                     "collapsed": collapsed, "reason": reason, "versus_dense": ""})
        dense_of_line.setdefault((line, record.parent), (record.summary["accuracy_dense"], tested))
        point_of[record.run_id] = (line, budget(record), collapsed, reason, record.parent)
    rows += [{"method": line, "sparsity": 0.0, "metric": CLEAN, "accuracy": accuracy, "run": parent, "recipe": "",
              "texts": tested, "successes": _successes(accuracy, tested), "collapsed": False, "reason": None,
              "versus_dense": ""}
             for (line, parent), (accuracy, tested) in dense_of_line.items()]
    infos = [info for info in (list_attack_runs(store) if attacks is None else attacks)
             if (recipe is None or info.recipe == recipe) and info.dataset == dataset]  # not texts someone brought
    dense_parents = {parent for _, parent in dense_of_line}
    dense_attacks: dict[tuple[str, str], list] = {}  # (dense run, recipe) -> the attacks on the dense model
    for info in infos:
        if info.target_run_id in dense_parents:
            dense_attacks.setdefault((info.target_run_id, info.recipe), []).append(info)
    versus = DenseComparisons(store, dense_attacks)
    for info in infos:
        if info.target_run_id in point_of and info.attacked_model == "sparse":
            targets = [point_of[info.target_run_id]]
        else:  # the dense model attacked: the start of every line that grew from it
            targets = [(line, 0.0, False, None, None) for line, parent in dense_of_line if parent == info.target_run_id]
        summary = info.summary
        robust, correct = summary.failed_attacks, summary.failed_attacks + summary.successful_attacks
        for line, x, collapsed, reason, parent in targets:
            difference = versus(info, parent) if parent is not None else ""
            for metric, value, successes in ((UNDER_ATTACK, summary.accuracy_under_attack, robust),
                                             (CLEAN_ATTACKED, summary.clean_accuracy, correct)):
                rows.append({"method": line, "sparsity": x, "metric": metric, "accuracy": value, "run": info.run_id,
                             "recipe": info.recipe, "texts": summary.num_examples, "successes": successes,
                             "collapsed": collapsed, "reason": reason,
                             "versus_dense": difference if metric == UNDER_ATTACK else ""})
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame.sort_values(["metric", "method", "sparsity"], kind="stable").reset_index(drop=True)


def _successes(accuracy: float, texts) -> float:
    """How many of ``texts`` a stored accuracy counts as right (NaN when the count of texts is not known)."""
    return float("nan") if texts is None or pd.isna(texts) else float(round(accuracy * texts))


def _per_seed_texts(texts: pd.Series) -> str:
    """The differences from the dense start of the runs at a point, one per seed (none for a point without)."""
    return "; ".join(text for text in texts if isinstance(text, str) and text)


def points(frame: pd.DataFrame) -> pd.DataFrame:
    """One point per (line, metric, x): the mean over the runs there (several seeds), with their min, max
    (``seed_low``, ``seed_high``) and count, the first run's id (a click opens it), collapsed when any of them is,
    and its 95 % interval (``low``, ``high``): Wilson's on the pooled counts, Σ successes of Σ ``texts``
    (the accuracy itself where a count is not known). ``versus_dense``: each run's difference from its dense
    start, one per seed. ``x`` is the point's key: the sparsity rounded, the same for every metric of the runs
    there (their mean sparsity is not, when only some of the runs were attacked)."""
    if frame.empty:
        return frame.assign(x=[], low=[], high=[], seed_low=[], seed_high=[], runs=[])
    frame = frame.assign(x=frame["sparsity"].round(4))
    grouped = frame.groupby(["method", "metric", "x"], sort=False)
    data = grouped.agg(sparsity=("sparsity", "mean"), accuracy=("accuracy", "mean"), seed_low=("accuracy", "min"),
                       seed_high=("accuracy", "max"), runs=("run", "count"), run=("run", "first"),
                       recipe=("recipe", "first"), texts=("texts", lambda t: t.sum(min_count=len(t))),
                       successes=("successes", lambda s: s.sum(min_count=len(s))),
                       collapsed=("collapsed", "any"), reason=("reason", "first"),
                       versus_dense=("versus_dense", _per_seed_texts)
                       ).reset_index()
    from robustprune.stats import wilson_interval

    intervals = [wilson_interval(int(successes), int(texts)) if not (pd.isna(successes) or pd.isna(texts))
                 else (accuracy, accuracy)
                 for successes, texts, accuracy in zip(data["successes"], data["texts"], data["accuracy"])]
    return data.assign(low=[low for low, _ in intervals], high=[high for _, high in intervals])


def attack_recipes(infos: list) -> list[str]:
    """The recipes of these attack runs (``attacks.list_attack_runs``), sorted."""
    return sorted({info.recipe for info in infos})


def method_rank(line: str) -> tuple[int, str]:
    method = line_method(line)
    return (METHOD_ORDER.index(method) if method in METHOD_ORDER else len(METHOD_ORDER), line)


PANELS = {CLEAN: "clean accuracy (all test texts)", UNDER_ATTACK: "under attack (the attacked test texts)"}


def tradeoff_figure(frame: pd.DataFrame, x_title: str = "sparsity", bands: list | None = None) -> go.Figure:
    """Accuracy vs sparsity (or FLOPs removed): clean accuracy on the whole test split, and beside it accuracy under
    attack with clean accuracy on the same attacked texts (dotted, faint), a line per method, a point per run (the
    mean where several seeds meet), its error bar the 95 % Wilson interval (on the seeds' pooled counts). An N:M
    line is dotted, a soup-started line dashed. A
    collapsed run is a hollow marker, its reason on hover; under attack it is grey and left out of its line.
    ``bands``: stored frontiers (``frontier_bands.frontier_bands``), drawn under the attack panel's lines in their
    line's colour."""
    from plotly.subplots import make_subplots

    data = points(frame)
    panels = [metric for metric in (CLEAN, UNDER_ATTACK) if metric in set(data["metric"])] or [CLEAN]
    figure = make_subplots(rows=1, cols=len(panels), shared_yaxes=True, horizontal_spacing=0.05,
                           subplot_titles=[PANELS[metric] for metric in panels])
    methods = sorted(set(data["method"]), key=method_rank)
    if bands and UNDER_ATTACK in panels:
        from robustprune.figures.frontier_bands import band_trace

        methods += sorted({band.line for band in bands} - set(methods), key=method_rank)
        recipes = {band.recipe for band in bands}
        for band in bands:
            figure.add_trace(band_trace(band, _colour(methods, band.line), show_recipe=len(recipes) > 1),
                             row=1, col=panels.index(UNDER_ATTACK) + 1)
    for method in methods:
        colour = _colour(methods, method)
        shown = False
        for column, panel in enumerate(panels, 1):
            for metric in (panel, CLEAN_ATTACKED) if panel == UNDER_ATTACK else (panel,):
                here = data[(data["method"] == method) & (data["metric"] == metric)]
                if here.empty:
                    continue
                companion = metric == CLEAN_ATTACKED
                kept = here[~here["collapsed"]] if metric == UNDER_ATTACK else here
                figure.add_trace(_line_trace(kept, method, metric, colour, x_title, companion,
                                             show_legend=not shown and not companion), row=1, col=column)
                shown = shown or not companion
                collapsed = here[here["collapsed"]]
                if not collapsed.empty and not companion:  # clean: hollow over the line; under attack: instead of it
                    figure.add_trace(_collapsed_trace(collapsed, method, metric, colour, x_title), row=1, col=column)
    figure.update_xaxes(tickformat=".0%", range=[-0.03, 1.0], title=x_title)
    figure.update_yaxes(tickformat=".0%", range=[0, 1.02])
    figure.update_yaxes(title="accuracy", row=1, col=1)
    figure.update_layout(height=420, margin=dict(l=10, r=10, t=40, b=10), legend_title_text="method",
                         clickmode="event+select")
    return figure


def _colour(lines: list[str], line: str) -> str:
    """A line's colour: its method's, shaded for its variant (``line_colour``); a method without one of its own
    takes the palette's colour at the line's place."""
    return line_colour(line, METHOD_COLOURS.get(line_method(line), PALETTE[lines.index(line) % len(PALETTE)]))


def _hover(method: str, metric: str, x_title: str) -> str:
    return ("%{customdata[0]}<br>" + method + " at %{x:.1%} " + x_title + ": %{y:.1%} " + metric
            + " on %{customdata[2]} texts%{customdata[3]}<br>click to open<extra>%{customdata[1]}</extra>")


def _evidence(points_: pd.DataFrame) -> list[str]:
    """Per point, the hover's evidence: its 95 % interval (Wilson; on the pooled counts of several seeds), the
    seeds' min–max, and a pruned point's difference from its dense start under the same attack."""
    lines = []
    for point in points_.itertuples():
        text = f"<br>95 % interval {point.low:.1%}–{point.high:.1%} (Wilson"
        if point.runs > 1:
            text += (f", pooled over {point.runs} seeds)<br>{point.runs} seeds: "
                     f"{point.seed_low:.1%}–{point.seed_high:.1%}")
        else:
            text += ", 1 run)"
        if point.versus_dense:
            text += f"<br>vs its dense start, same attack: {point.versus_dense}"
        lines.append(text)
    return lines


def _error_bars(points_: pd.DataFrame) -> dict:
    """The 95 % interval of every point as its error bar."""
    return dict(type="data", symmetric=False, array=(points_["high"] - points_["accuracy"]).clip(lower=0),
                arrayminus=(points_["accuracy"] - points_["low"]).clip(lower=0), visible=True, width=3, thickness=1)


def _line_trace(points_: pd.DataFrame, method: str, metric: str, colour: str, x_title: str, companion: bool,
                show_legend: bool) -> go.Scatter:
    return go.Scatter(
        x=points_["sparsity"], y=points_["accuracy"], mode="lines+markers",
        name=f"{method} · clean, attacked texts" if companion else method, legendgroup=method,
        showlegend=show_legend, opacity=0.45 if companion else 1.0, marker=dict(size=6 if companion else 9),
        line=dict(color=colour, dash="dot" if companion else line_dash(method),
                  width=1 if companion else 4 if is_preset(method) else 2),
        error_y=_error_bars(points_),
        customdata=list(zip(points_["run"], points_["recipe"], points_["texts"].fillna(0).astype(int),
                            _evidence(points_))),
        hovertemplate=_hover(method, "clean, same texts" if companion else metric.split()[0], x_title))


def _collapsed_trace(points_: pd.DataFrame, method: str, metric: str, colour: str, x_title: str) -> go.Scatter:
    """Collapsed runs: hollow markers with the reason on hover; under attack grey (no robustness to read)."""
    grey = metric == UNDER_ATTACK
    return go.Scatter(
        x=points_["sparsity"], y=points_["accuracy"], mode="markers", name=f"{method} (collapsed)",
        legendgroup=method, showlegend=False,
        marker=dict(size=11, symbol="circle-open", color=GREY if grey else colour, line=dict(width=2)),
        error_y=_error_bars(points_),
        customdata=list(zip(points_["run"], points_["recipe"], points_["texts"].fillna(0).astype(int),
                            [f"<br>collapsed: {reason}{evidence}" for reason, evidence in
                             zip(points_["reason"], _evidence(points_))])),
        hovertemplate=_hover(method, metric.split()[0], x_title))


def is_preset(line: str) -> bool:
    """A preset's line ("krp (paper setup)"): the paper's whole recipe, drawn thicker than its parts."""
    return line.endswith(" setup)")


def line_colour(line: str, base: str) -> str:
    """The method's colour (``base``) for its own line; for a variant, a shade of it, so that a family stays one hue
    and its lines can still be told apart: darker with a re-fitted head, lighter with adversarial calibration,
    darkest for a preset (the paper's setup)."""
    variant = line.split(" (")[0].split(" ")[0][len(line_method(line)):]  # "+refit", "+adv=128", ...
    refit, adversarial = "+refit" in variant, "+adv" in variant
    if is_preset(line):
        shade = -0.55  # towards black
    elif refit:
        shade = -0.45 if adversarial else -0.3
    else:
        shade = 0.4 if adversarial else 0.0  # towards white
    target = 0 if shade < 0 else 255
    channels = (int(base[i:i + 2], 16) for i in (1, 3, 5))
    return "#" + "".join(f"{round(value + (target - value) * abs(shade)):02x}" for value in channels)


def line_dash(line: str) -> str:
    """Solid for a method's own line; dotted for its N:M runs, dashed from the soup, dash-dot for both."""
    nm, soup = line_pattern(line) is not None, " (" in line
    return {(False, False): "solid", (True, False): "dot", (False, True): "dash", (True, True): "dashdot"}[(nm, soup)]


def clicked_run(selection) -> str | None:
    """The run id behind the point a user clicked (a chart's selection state), or None."""
    points = (selection or {}).get("points") or []
    for point in points:
        customdata = point.get("customdata") or []
        if customdata and customdata[0]:
            return str(customdata[0])
    return None


def runs_label(models: float, attacked: float) -> str:
    """How many runs (seeds) a row is over: "3", or "5, 3 attacked" when the attack's numbers are over fewer."""
    models, attacked = (0 if pd.isna(models) else int(models)), (0 if pd.isna(attacked) else int(attacked))
    if attacked and attacked != models:
        return f"{models}, {attacked} attacked" if models else f"{attacked} attacked"
    return str(models or attacked)


def interval_columns() -> list[str]:
    """runs_table's accuracy columns with their interval ends (fractions: a page formats them as percentages)."""
    return [f"{metric}{end}" for metric in (CLEAN, UNDER_ATTACK, CLEAN_ATTACKED) for end in ("", " low", " high")]


def runs_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The points as a table: one row per (line, x), clean accuracy (all test texts), accuracy under attack and
    clean accuracy on the attacked texts, each with its 95 % interval ("<metric> low", "<metric> high": Wilson, on the
    seeds' pooled counts), the difference under attack from the dense start (``VERSUS_DENSE``), how many runs
    (seeds) each mean is over, a collapsed model's reason, and the id of the (first) run of the model there: the
    pruning run, or at x = 0 the dense start."""
    if frame.empty:
        return frame
    data = points(frame)
    table = data.pivot_table(index=["method", "x"], columns="metric", values="accuracy", aggfunc="first").reset_index()
    for bound in ("low", "high"):
        ends = data.pivot_table(index=["method", "x"], columns="metric", values=bound, aggfunc="first")
        table = table.merge(ends.rename(columns=lambda metric: f"{metric} {bound}").reset_index(), on=["method", "x"],
                            how="left")
    versus = data[data["metric"] == UNDER_ATTACK][["method", "x", "versus_dense"]].rename(
        columns={"versus_dense": VERSUS_DENSE})
    table = table.merge(versus, on=["method", "x"], how="left")
    table[VERSUS_DENSE] = table[VERSUS_DENSE].fillna("")
    extra = data.groupby(["method", "x"]).agg(collapsed=("reason", "first")).reset_index()
    table = table.merge(extra, on=["method", "x"], how="left")
    table["collapsed"] = table["collapsed"].fillna("")  # blank, not "None", for a model that did not collapse
    # the models there (their mean sparsity, their count, the first one's run: a row opens it), and how many of
    # them were attacked, when not all were (the attack's columns are the mean over those)
    models = data[data["metric"] == CLEAN][["method", "x", "sparsity", "runs", "run"]]
    table = table.merge(models, on=["method", "x"], how="left")
    table["sparsity"] = table["sparsity"].fillna(table["x"])
    attacked = data[data["metric"] == UNDER_ATTACK][["method", "x", "runs"]].rename(columns={"runs": "attacked"})
    table = table.merge(attacked, on=["method", "x"], how="left")
    table["runs"] = [runs_label(models_, attacked_) for models_, attacked_ in zip(table["runs"], table["attacked"])]
    table["rank"] = table["method"].map(method_rank)
    metrics = [column for metric in (CLEAN, UNDER_ATTACK, CLEAN_ATTACKED) if metric in table.columns
               for column in (metric, f"{metric} low", f"{metric} high")]
    return table.sort_values(["rank", "x"])[["method", "sparsity", *metrics, VERSUS_DENSE, "runs", "collapsed",
                                             "run"]].reset_index(drop=True)


__all__ = ["CLEAN", "UNDER_ATTACK", "CLEAN_ATTACKED", "VERSUS_DENSE", "interval_columns", "dense_accuracies", "points", "overview_line", "PRUNING_KINDS", "X_TITLES", "model_dataset_pairs", "tradeoff_frame",
           "attack_recipes", "tradeoff_figure", "clicked_run", "runs_table"]
