"""What a report shows: the same tables and figures as the dashboard's pages, from the run store.

* a pruning run: its settings and headline numbers, the per-layer errors (heatmaps and over
  depth) or for a structured run what each layer kept, the trade-off curves of its model and
  dataset, and every attack on it with its chosen examples;
* an attack run: the attacked run's settings and per-layer errors, the attack's summary, the
  per-layer AUC (when cached) and its chosen examples: predictions, the marked texts and
  their changes, attributions and the per-layer cosine where they are cached;
* the overview: the trade-off curves of every model and dataset, and every attack run.

Only cached results are read; ``compute=True`` first computes the per-layer AUC and the
chosen examples' attributions (``robustprune.attack.layer_auc`` / ``explain``, cached in the store).
"""

from __future__ import annotations

import pandas as pd

from robustprune.attack.attribution import IGSettings
from robustprune.attack.explain import cached_explanation, explain_example
from robustprune.attack.layer_auc import block_errors, cached_layer_auc, ensure_layer_auc, flipped_in_sparse_only
from robustprune.attack.records import AttackExample, AttackResult
from robustprune.figures import attacks, explanation, marks, overview, pruning, structured
from robustprune.figures.frontier_bands import frontier_bands
from robustprune.report.document import ReportDocument
from robustprune.store import PRUNING_KINDS, RunRecord, RunStore

EXAMPLES_PER_ATTACK = 6


def chosen_examples(result: AttackResult, count: int) -> list[AttackExample]:
    """The examples a reader should see first: flipped in the sparse model only, then other successes, then
    failures; in index order within each."""
    def rank(example: AttackExample) -> int:
        if example.result == "succeeded":
            return 0 if flipped_in_sparse_only(example) else 1
        return 2 if example.result == "failed" else 3
    return sorted((example for example in result.examples if example.result != "skipped"),
                  key=lambda example: (rank(example), example.index))[:count]


def predictions_table(example: AttackExample, names: list[str]) -> pd.DataFrame:
    def name(label):
        return "" if label is None or label < 0 else names[label] if label < len(names) else str(label)

    rows = []
    for model in ("dense", "sparse"):
        if getattr(example, f"{model}_label_original") is None:
            continue
        rows.append({"model": model, **{
            f"on the {'original' if side == 'original' else 'adversarial'} text":
                f"{name(getattr(example, f'{model}_label_{side}'))} "
                f"({getattr(example, f'{model}_confidence_{side}'):.0%})" for side in ("original", "perturbed")}})
    return pd.DataFrame(rows)


def example_section(document: ReportDocument, store: RunStore, attack_run_id: str, example: AttackExample,
                    names: list[str], target_run_id: str, compute: bool = False) -> None:
    """One example: who flipped, predictions, both texts with every change marked, the list of changes, and the
    attributions and per-layer cosine when they are cached."""
    label = names[example.label] if example.label < len(names) else str(example.label)
    who = ("flipped in the sparse model only" if flipped_in_sparse_only(example) else example.result)
    document.raw('<div class="example">')
    document.heading(f"Example {example.index}: {who}, true label {label}", 3)
    document.table(predictions_table(example, names))
    original, perturbed = marks.example_sides_html(example.original_text, example.perturbed_text)
    document.raw(f'<div class="side-by-side"><div><b>Original</b>{original}</div>'
                 f'<div><b>Adversarial</b>{perturbed}</div></div>')
    document.raw(marks.changes_html(example.original_text, example.perturbed_text))
    explained = cached_explanation(store, attack_run_id, example.index)
    if explained is None and compute:
        explained = explain_example(attack_run_id, example.index, IGSettings(), store)
    if explained is not None:
        document.raw(explanation.attribution_html(explained, example.original_text, example.perturbed_text, names))
        if explained.layers:
            document.figure(explanation.layer_agreement_figure(explained, block_errors(store, target_run_id)))
    document.raw("</div>")


def attack_report(document: ReportDocument, store: RunStore, record: RunRecord, examples: int = EXAMPLES_PER_ATTACK,
                  compute: bool = False, with_target: bool = True) -> None:
    info = attacks.attack_run_info(record)
    result = attacks.load_attack_result(record)
    names = attacks.label_names(store, info.dense_run_id)
    target = store.get(info.target_run_id, verify=True)
    if with_target and target is not None and target.kind in PRUNING_KINDS:
        document.heading(f"The attacked run: {attacks.pruned_label(target)} ({target.run_id})")
        pruning_run_sections(document, store, target, with_attacks=False)
    document.heading(f"Attack {record.run_id}: {info.recipe} on the {info.attacked_model} model")
    document.table(attacks.summary_table(result))
    auc = cached_layer_auc(store, record.run_id)
    if auc is None and compute and "sparse" in info.model_runs:
        auc = ensure_layer_auc(record.run_id, store)
    if auc is not None:
        document.heading("Which layers carry the robustness loss", 3)
        document.paragraph("Per layer: how well the divergence between the dense and the sparse model's hidden states "
                           "tells the attacked examples that flip the sparse model only from the others (ROC AUC; "
                           "0.5 = no information; the band: its 95 % DeLong interval on the adversarial texts; a "
                           "filled marker: a Mann–Whitney p-value below 0.05), beside the pruning run's "
                           "reconstruction error. With few flips the interval spans most of [0, 1]: read a layer's "
                           "AUC as a finding only where its interval stays clear of 0.5.")
        document.figure(explanation.layer_auc_figure(auc))
    chosen = chosen_examples(result, examples)
    if chosen:
        document.heading(f"Examples ({len(chosen)} of {len(result.examples)})", 3)
    for example in chosen:
        example_section(document, store, record.run_id, example, names, info.target_run_id, compute)


def pruning_run_sections(document: ReportDocument, store: RunStore, record: RunRecord, with_attacks: bool = True,
                         examples: int = 3, compute: bool = False) -> None:
    """Settings, headline numbers and per-layer figures of a pruning run (and the attacks on it)."""
    if record.kind == "structured":
        run = structured.read_structured_run(store, record.run_id)
        document.table(pd.DataFrame([structured.structured_metrics(run)]))
        document.settings({"method": run.method, "dense start": run.dense_start, "model": run.model,
                           "dataset": run.dataset, **run.result.config})
        document.figure(structured.units_figure(structured.units_frame(run)))
        errors = structured.sublayer_error_frame({structured.run_label(run): run})
        if not errors.empty:
            document.figure(structured.sublayer_error_figure(errors))
    else:
        from robustprune.pipeline import read_prune_result

        result = read_prune_result(record)
        document.table(pd.DataFrame([pruning.result_metrics(result)]))
        document.settings({"method": result.method, "dense start": result.dense_start, "model": result.model,
                           "dataset": result.dataset, "dense run": result.dense_run_id, **result.config})
        layers = pruning.layer_frame(result)
        document.figure(pruning.error_heatmaps(layers))
        document.figure(pruning.depth_figure(pruning.depth_frame({pruning.run_label(result): result})))
        document.figure(pruning.sparsity_figure(layers, result.target_sparsity))
    if with_attacks:
        infos = attacks.list_attack_runs(store)
        tradeoff_sections(document, store, record.model, record.dataset, infos)
        for info in infos:
            if info.target_run_id == record.run_id:
                attack_report(document, store, store.require(info.run_id, verify=True), examples, compute, with_target=False)


def tradeoff_sections(document: ReportDocument, store: RunStore, model: str, dataset: str, attack_runs: list) -> None:
    """The Overview's trade-off curves (and their table) for one model and dataset: one set per attack recipe, as
    the Overview shows them (accuracy under two recipes is two numbers, never their mean). ``attack_runs``: the
    store's (``attacks.list_attack_runs``), read once by the caller."""
    infos = [info for info in attack_runs if info.model == model and info.dataset == dataset]
    for kind in overview.PRUNING_KINDS:
        frames = {recipe: overview.tradeoff_frame(store, model, dataset, recipe, kind, attacks=infos)
                  for recipe in overview.attack_recipes(infos) or [None]}
        attacked = {recipe: frame for recipe, frame in frames.items()
                    if not frame.empty and overview.UNDER_ATTACK in set(frame["metric"])}
        # the recipes whose attacks reached these runs; none: the clean curves once
        shown = attacked or {None: next(iter(frames.values()))}
        x_title = overview.X_TITLES[kind]
        for recipe, frame in shown.items():
            if frame.empty:
                continue
            document.heading(f"Trade-off: accuracy vs {x_title}" + (f" under {recipe}" if recipe else "")
                             + f", {model} on {dataset}" + (" (structured pruning)" if kind == "structured" else ""),
                             3)
            bands = frontier_bands(store, model, dataset, recipe, kind)
            document.figure(overview.tradeoff_figure(frame, x_title, bands))
            document.table(overview.runs_table(frame), float_format="{:.1%}")


def overview_report(document: ReportDocument, store: RunStore) -> None:
    pairs = overview.model_dataset_pairs(store)
    if not pairs:
        document.paragraph("No pruning runs are cached yet.")
    infos = attacks.list_attack_runs(store)
    for model, dataset in pairs:
        document.heading(f"{model} on {dataset}")
        tradeoff_sections(document, store, model, dataset, infos)
    frontiers = store.list(kind="frontier")
    if frontiers:
        frontier_sections(document, frontiers)
    if infos:
        document.heading("Attack runs")
        document.table(pd.DataFrame([{"attack run": info.run_id, "recipe": info.recipe,
                                      "attacked run": info.target_run_id, "model": info.attacked_model,
                                      "examples": info.summary.num_examples,
                                      "clean accuracy": info.summary.clean_accuracy,
                                      "clean, 95 % interval": _wilson_text(
                                          info.summary.num_examples - info.summary.skipped_attacks,
                                          info.summary.num_examples),
                                      "accuracy under attack": info.summary.accuracy_under_attack,
                                      "under attack, 95 % interval": _wilson_text(info.summary.failed_attacks,
                                                                                  info.summary.num_examples),
                                      "success rate": info.summary.attack_success_rate} for info in infos]),
                       float_format="{:.1%}")


def _wilson_text(successes: int, n: int) -> str:
    """An accuracy's Wilson 95 % interval (``robustprune.stats``), from the attack summary's counts."""
    from robustprune.stats import wilson_interval

    low, high = wilson_interval(successes, n)
    return f"{low:.1%}–{high:.1%}"


def frontier_sections(document: ReportDocument, frontiers: list) -> None:
    """Every stored frontier (``robustprune frontier``, the Frontier page): its answer lines, chart and probes."""
    from robustprune.frontier.figure import frontier_figure
    from robustprune.frontier.run import load_frontier

    document.heading("Robustness frontiers")
    for record in frontiers:
        for answer in load_frontier(record):
            document.heading(f"{answer.label} under {answer.recipe}, {record.model} on {record.dataset}", 3)
            document.paragraph(answer.line())
            document.figure(frontier_figure(answer))
            document.table(answer.table())


__all__ = ["EXAMPLES_PER_ATTACK", "frontier_sections", "chosen_examples", "predictions_table", "example_section", "attack_report",
           "pruning_run_sections", "tradeoff_sections", "overview_report"]
