"""The Prune page's Streamlit parts: its form, and the view of a cached unstructured or structured run.

The form's widgets are bound to the URL. A link may also name a run (``?run=RUN_ID``, from
the Overview's points or the Runs page): that run is shown until the user changes the form.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from robustprune.dashboard import cached, charts, widgets
from robustprune.dashboard.choices import pruning_methods
from robustprune.dashboard.link_checks import checked, listed, number_in, one_of
from robustprune.dashboard.prune_form import PATTERNS, UNSTRUCTURED, PruneForm, follow_link, is_structured
from robustprune.figures import pruning, structured
from robustprune.pipeline import DENSE_STARTS
from robustprune.presets import PRESETS
from robustprune.store import PRUNING_KINDS, RunStore

DENSE_START_LABELS = {"finetune": "one fine-tuned model", "soup": "greedy soup of fine-tuned models"}
LINK_MEMORY = "prune-link"


def prune_form(store: RunStore) -> PruneForm:
    """The method and its budget (sparsity or N:M, or FLOPs to remove) in view; the model, dataset, dense start and
    calibration, changed less often, in a popover whose current values show beside it.

    The popover's widgets are live (bound to the URL as before) but drawn in the browser only when it is opened:
    a dozen widgets on the page would cost a switch to it 0.1 s of the browser's time (``bench.bench_dashboard``)."""
    with st.container(border=True):
        top_left, top_middle, top_right = st.columns([1, 1, 3])
        with top_left:
            method = checked("method", lambda: st.selectbox(
                "Method", pruning_methods(), key="method", bind="query-params",
                help="krp / sparsegpt / wanda / magnitude zero single weights; kprune and structured-magnitude "
                     "remove whole heads and neurons under a FLOPs budget"),
                listed(pruning_methods()), one_of(pruning_methods()))
        with top_middle:
            settings = st.popover("Model and data", icon=":material/tune:", width="stretch")
            paper = False if is_structured(method) else st.toggle(
                "Paper's setup", key="paper", bind="query-params",
                help=f"Li et al. (EMNLP 2023): {PRESETS['paper'].summary}; the dense start and calibration are "
                     "then the paper's")
        summary = top_left.empty()
        with settings:
            form = _settings(store, method, paper)
        with top_right:
            form = _budget(form)
        summary.caption(_settings_line(form, paper))
        if paper:
            st.caption(f"Paper's setup: {PRESETS['paper'].summary}. The same run as those settings chosen one by "
                       "one; the soup is built first if needed (4 fine-tunes and an attack per candidate: tens of "
                       "minutes on a CPU).")
            return PruneForm.paper_setup(form.model, form.data, method, form.sparsity_percent, form.pattern,
                                         form.calibration_adversarial)
        return form


def _settings(store: RunStore, method: str, paper: bool) -> PruneForm:
    """The popover's part of the form: model, dataset, dense start, and the calibration (or K-prune's sample)."""
    model = widgets.model_picker(store)
    data_choice = widgets.dataset_picker(upload_in_popover=False)  # in the settings' popover already
    # the URL holds "finetune" or "soup" (what PruneForm's links and the command line say), not the label
    dense_start = widgets.url_selectbox("Dense start", list(DENSE_STARTS), key="dense",
                                        format_func=DENSE_START_LABELS.get, disabled=paper,
                                        help="the soup averages several fine-tuned models (Li et al., 2023); it is "
                                             "built once, from 4 fine-tunes. The paper's setup starts from its soup.")
    if is_structured(method):
        tokens = PruneForm(model, data_choice, method).sample_tokens
        if method == "kprune":
            default_tokens = tokens
            tokens = checked("tokens", lambda: st.number_input(
                "Sample tokens", 256, 200_000, default_tokens, 256, key="tokens", bind="query-params",
                help="tokens whose knowledge is measured (the paper uses 100,000)"),
                "a whole number from 256 to 200,000", number_in(256, 200_000, whole=True))
        return PruneForm(model, data_choice, method, dense_start, sample_tokens=int(tokens))
    calibration = 128 if paper else checked("calibration", lambda: st.number_input(
        "Calibration texts", 1, 4096, 128, key="calibration", bind="query-params"),
        "a whole number from 1 to 4,096", number_in(1, 4096, whole=True))
    pattern = checked("pattern", lambda: st.selectbox(
        "Pattern", PATTERNS, key="pattern", bind="query-params",
        help="N:M: in every group of M consecutive input weights, N are zero"), listed(PATTERNS), one_of(PATTERNS))
    adversarial = checked("adversarial", lambda: st.number_input(
        "Adversarial calibration texts", 0, 2048, 0, 16, key="adversarial", bind="query-params",
        help="robustness-aware calibration: texts found by attacking the dense model on training texts "
             "(TextFooler and TextBugger, cached attack runs), added to the calibration texts, so that the "
             "pruned model follows the dense one where attacks probe; 0: off"),
        "a whole number from 0 to 2,048", number_in(0, 2048, whole=True))
    refit = paper or st.checkbox("Re-fit pooler and classifier", key="refit", bind="query-params",
                                 help="least squares to the dense outputs, as the krp paper does")
    return PruneForm(model, data_choice, method, dense_start, int(calibration), pattern=pattern,
                     refit_head=bool(refit), calibration_adversarial=int(adversarial))


def _budget(form: PruneForm) -> PruneForm:
    """The budget in view: FLOPs to remove (structured), the sparsity with the paper's levels, or an N:M pattern."""
    if is_structured(form.method):
        flops = checked("flops", lambda: st.slider("FLOPs to remove (%)", 0.0, 90.0, 50.0, 0.5, key="flops",
                                                   bind="query-params"),
                        "a share from 0 to 90 (%)", number_in(0, 90), lambda percent: f"{percent:g} %")
        return replace(form, flops_percent=flops)
    if form.pattern == UNSTRUCTURED:
        return replace(form, sparsity_percent=widgets.sparsity_picker())
    n, m = (int(part) for part in form.pattern.split(":"))
    st.caption(f"{form.pattern} semi-structured: the sparsity is {n}/{m} = {100.0 * n / m:g}% in every layer.")
    return replace(form, sparsity_percent=100.0 * n / m)


def _settings_line(form: PruneForm, paper: bool) -> str:
    """What the popover holds, in one line: model, dataset, dense start, calibration."""
    parts = [form.model or "(no model)", form.data.dataset or "(no dataset)"]
    if paper:
        return " · ".join(parts + ["the paper's soup and calibration"])
    parts.append(DENSE_START_LABELS.get(form.dense_start, form.dense_start))
    if is_structured(form.method):
        if form.method == "kprune":
            parts.append(f"{form.sample_tokens:,} sample tokens")
    else:
        parts.append(f"{form.calibration} calibration texts"
                     + (f" + {form.calibration_adversarial} adversarial" if form.calibration_adversarial else "")
                     + (", head re-fitted" if form.refit_head else ""))
    return " · ".join(parts)


def prefill_from_link(store: RunStore) -> None:
    """When a link names a cached pruning run the page has not shown yet, set the form to that run's settings
    (before the widgets are drawn), so that the form and the run shown agree."""
    from robustprune.dashboard.navigation import BOUND_WIDGETS

    run_id = st.query_params.get("run")
    record = store.get(run_id) if run_id else None
    if record is None or record.kind not in PRUNING_KINDS:
        return
    if st.session_state.get(LINK_MEMORY, {}).get("linked") == run_id:
        return
    file_dataset = (record.dataset or "").startswith("file:")  # the run keeps the file's name, not its path
    dense = store.get(record.parent)
    for key, value in PruneForm.from_record(record, dense.summary if dense else None).query_params().items():
        if not (file_dataset and key in ("dataset", "text_column", "label_column")):
            st.session_state[key] = BOUND_WIDGETS[key](value)


def linked_run(store: RunStore, form: PruneForm) -> str | None:
    """The cached run named by ``?run=``, until the form is changed (then the parameter is dropped)."""
    run_id = st.query_params.get("run")
    record = store.get(run_id, verify=True) if run_id else None
    if run_id and (record is None or record.kind not in PRUNING_KINDS):
        damage = store.damage(run_id, verify=False) if record is None else None
        from robustprune.dashboard.link_checks import cut

        st.warning(f"The link names run {run_id!r}, which is damaged ({damage}): it is treated as missing, and asking "
                   "for it again computes it again; showing the form's run." if damage else
                   f"The link names run {cut(run_id)!r}, which is not a cached pruning run; showing the form's run.")
        st.query_params.pop("run", None)
        return None
    memory = st.session_state.setdefault(LINK_MEMORY, {})
    shown = follow_link(memory, run_id, form.query_params())
    if run_id and shown is None:
        st.query_params.pop("run", None)
    return shown


def show_run(store: RunStore, run_id: str) -> None:
    if store.require(run_id).kind == "structured":
        show_structured(store, run_id)
    else:
        show_unstructured(store, run_id)
    left, right = st.columns([3, 1])
    left.page_link("pages/attacks.py", label="Attack this run", query_params={"target": run_id},
                   icon=":material/swords:")
    with right:
        widgets.report_button(f"report-{run_id}.html", run=run_id)


def _choose_method(method: str) -> None:
    st.session_state["method"] = method  # the form's other settings (model, data, budget, ...) stay


def no_comparison(text: str, methods: list[str]) -> None:
    """``text`` (why there is nothing to compare with), and a button per method that sets the form above to it: the
    page then offers to prune it (or shows it, if it is cached after all)."""
    st.caption(text)
    with st.container(horizontal=True):
        for method in methods:
            st.button(method, key=f"compare-with-{method}", on_click=_choose_method, args=(method,),
                      icon=":material/content_cut:", help=f"set the form above to {method}, the rest as it is")


def collapse_warning(check) -> None:
    """A pruned model that predicts (nearly) one class: say so, before anyone reads its robustness."""
    if check is not None and check.collapsed:
        st.warning(f"This pruned model has collapsed: it {check.reason}. Its accuracy under attack would be that "
                   "of a (nearly) constant answer, not robustness.", icon=":material/warning:")


def show_unstructured(store: RunStore, run_id: str) -> None:
    """Headline numbers, the layer x sub-layer error heatmaps, error over depth against another method,
    achieved sparsity per layer and accuracy dense vs sparse."""
    result = cached.prune_result(store, run_id)
    start = "" if result.dense_start == "finetune" else f" (dense start: {result.dense_start})"
    st.success(f"Run `{result.run_id}`: {result.method} on {result.model} / {result.dataset}{start}, "
               f"on {result.device}.")
    collapse_warning(result.collapse)
    if result.adversarial_calibration_texts:
        st.caption(f"Calibration: {result.config['calibration']} training texts and "
                   f"{result.adversarial_calibration_texts} adversarial ones found on the dense model "
                   f"({result.adversarial_calibration_flipped} of them flip it; attack runs "
                   f"{', '.join(result.adversarial_attack_run_ids)}).")
    for column, (label, value) in zip(st.columns(4), pruning.result_metrics(result).items()):
        column.metric(label, value)

    layers = pruning.layer_frame(result)
    stamp = cached.run_stamp(store, run_id)
    st.subheader("Reconstruction error per layer and sub-layer")
    charts.show("heatmaps", stamp, lambda: pruning.error_heatmaps(layers), key="heatmaps")

    options = pruning.comparison_runs(store, result)
    budget = f"{100 * result.target_sparsity:g} %"
    compare = "none"
    if options:
        labels = ["none", *options]
        default_label = pruning.default_comparison(options, result.method, result.config.get("pattern"))
        compare = st.selectbox("Compare with another method at this sparsity", labels, key="compare",
                               index=labels.index(default_label) if default_label else 0, bind="query-params",
                               help=f"the other methods cached at {budget} from the same dense model; prune "
                                    "another one at this sparsity (change the method above) to add it")
    else:
        others = [method for method in pruning_methods() if not is_structured(method) and method != result.method]
        no_comparison(f"No other method is cached at {budget} from this dense model, so there is nothing to compare "
                      f"{result.method} with over depth. Prune another one at {budget}:", others)
    curves = {pruning.run_label(result): result}
    if compare != "none":
        other = cached.prune_result(store, options[compare])
        curves[pruning.run_label(other)] = other
    charts.show("depth", cached.run_stamp(store, *(curve.run_id for curve in curves.values())),
                lambda: pruning.depth_figure(pruning.depth_frame(curves)), key="depth")

    left, right = st.columns([2, 1])
    charts.show("sparsity", stamp, lambda: pruning.sparsity_figure(layers, result.target_sparsity), container=left,
                width=charts.PAGE_WIDTH * 2 // 3, key="sparsity-per-layer")
    charts.show("accuracy", stamp, lambda: pruning.accuracy_figure(result), container=right,
                width=charts.PAGE_WIDTH // 3, key="accuracy")


def show_structured(store: RunStore, run_id: str) -> None:
    """Headline numbers, heads and neurons kept per layer, and K-prune's sub-layer error with and
    without weight tuning, beside the other structured method at the same budget."""
    run = cached.structured_run(store, run_id)
    start = "" if run.dense_start == "finetune" else f" (dense start: {run.dense_start})"
    st.success(f"Run `{run.run_id}`: {run.method} on {run.model} / {run.dataset}{start}, on {run.device}.")
    collapse_warning(run.collapse)
    for column, (label, value) in zip(st.columns(5), structured.structured_metrics(run).items()):
        column.metric(label, value)
    st.subheader("What each layer kept")
    charts.show("units", cached.run_stamp(store, run_id), lambda: structured.units_figure(structured.units_frame(run)),
                key="units")

    options = structured.comparison_runs(store, run)
    budget = f"{100 * run.result.flops_reduction:g} % of FLOPs removed"
    compare = "none"
    if options:
        labels = ["none", *options]
        compare = st.selectbox("Compare with the other method at this budget", labels, key="compare-structured",
                               index=1, bind="query-params",
                               help=f"the other structured methods cached at {budget} from the same dense model")
    else:
        others = [method for method in pruning_methods() if is_structured(method) and method != run.method]
        no_comparison(f"No other structured method is cached at {budget} from this dense model, so there is "
                      f"nothing to set beside {run.method}. Prune another one at this budget:", others)
    runs = {structured.run_label(run): run}
    if compare != "none":
        other = cached.structured_run(store, options[compare])
        runs[structured.run_label(other)] = other
        st.dataframe(structured.comparison_table(runs), hide_index=True, placeholder="")
    errors = structured.sublayer_error_frame(runs)
    if errors.empty:
        st.caption("This method does not measure sub-layer reconstruction errors (it keeps weights as they are).")
    else:
        charts.show("sublayer-errors", cached.run_stamp(store, *(r.run_id for r in runs.values())),
                    lambda: structured.sublayer_error_figure(errors), key="sublayer-errors")


__all__ = ["prune_form", "prefill_from_link", "linked_run", "show_run", "show_unstructured", "show_structured"]
