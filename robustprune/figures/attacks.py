"""The Attacks page's data: attack runs from the store, their examples, and one example's words.

An attack run (store kind ``"attack"``, written by ``robustprune.attack.runs.attack``)
attacked a pruning run (or the dense model) and keeps an ``AttackResult``: its summary in
the run's summary, the per-example and similarity rows as Parquet in ``attack/``. For every
example it holds the dense and the sparse model's label and confidence on the original
and on the perturbed text, so "flipped" below means: that model's label changed.
"""

from __future__ import annotations

import difflib
import html
import json
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from robustprune.attack.changes import change_kinds, word_spans, words
from robustprune.attack.records import RESULT_STATUSES, AttackExample, AttackResult, AttackSummary
from robustprune.errors import RobustPruneError
from robustprune.labels import budget_label
from robustprune.store import PRUNING_KINDS, RunRecord, RunStore

ATTACK_KIND = "attack"
FORM_TARGET_KINDS = (*PRUNING_KINDS, "finetune")  # what "Run a new attack" offers: a pruned or fine-tuned model
LABEL_COLOURS = ["#ef553b", "#00cc96", "#636efa", "#ab63fa", "#ffa15a"]
EXAMPLE_FILTERS = ("all", *RESULT_STATUSES, "flipped in sparse only", "flipped in dense only")


@dataclass
class AttackRunInfo:
    """What the pages list about an attack run, from the store index alone (no Parquet read)."""

    run_id: str
    recipe: str
    attacked_model: str          # "dense" or "sparse"
    target_run_id: str           # the attacked run: a pruning run, or the dense run itself
    dense_run_id: str
    model: str | None
    dataset: str | None
    summary: AttackSummary
    created: float

    @property
    def label(self) -> str:
        summary = self.summary
        return (f"{self.recipe} on the {self.attacked_model} model, {summary.num_examples} examples, "
                f"{summary.accuracy_under_attack:.1%} under attack ({self.run_id})")

    @property
    def model_runs(self) -> dict[str, str]:
        """{"dense": run id} and, for an attack on a pruning run, {"sparse": its run id}."""
        if self.target_run_id == self.dense_run_id:
            return {"dense": self.dense_run_id}
        return {"dense": self.dense_run_id, "sparse": self.target_run_id}


def attack_run_info(record: RunRecord) -> AttackRunInfo:
    """An attack run as ``robustprune.attack.runs`` writes it: the summary's fields, the result in ``attack/``."""
    summary = record.summary
    return AttackRunInfo(record.run_id, summary["summary"]["recipe"], summary["summary"]["attacked_model"],
                         summary["target_run_id"], summary["dense_run_id"], record.model, record.dataset,
                         AttackSummary(**summary["summary"]), record.created)


def list_attack_runs(store: RunStore | None = None) -> list[AttackRunInfo]:
    """Attack runs, newest first; one that cannot be read is left out (the Runs page still lists it)."""
    runs = []
    for record in (store or RunStore()).list(kind=ATTACK_KIND):
        try:
            runs.append(attack_run_info(record))
        except (KeyError, TypeError):
            continue
    return runs


def load_attack_result(record: RunRecord) -> AttackResult:
    return AttackResult.load(record.directory / "attack")


def pruned_label(record: RunRecord) -> str | None:
    """A pruning run's method and budget ("krp 50.0%", "krp 2:4", "kprune −50% FLOPs"); None for any other run."""
    return budget_label(record)


def attacked_runs(store: RunStore, infos: list[AttackRunInfo]) -> dict[str, str]:
    """The runs that attack runs attacked: label -> run id, for a picker."""
    options = {}
    for info in infos:
        if info.target_run_id in options.values():
            continue
        record = store.get(info.target_run_id)
        if record is None:
            label = f"{info.target_run_id} (deleted)"
        else:
            label = f"{pruned_label(record) or f'dense ({record.kind})'} · {record.model} · {record.run_id}"
        options[label] = info.target_run_id
    return options


def label_names(store: RunStore, dense_run_id: str | None, count: int = 2) -> list[str]:
    """The class names the dense model was trained with (its config's id2label), or "label i"."""
    record = store.get(dense_run_id) if dense_run_id else None
    config_path = record.directory / "model" / "config.json" if record else None
    if config_path is not None and config_path.is_file():
        id2label = json.loads(config_path.read_text()).get("id2label", {})
        if id2label:
            return [id2label[key] for key in sorted(id2label, key=int)]
    return [f"label {index}" for index in range(count)]


def summary_table(result: AttackResult, with_recipe: bool = True) -> pd.DataFrame:
    """The attack's headline numbers, as TextAttack prints them (percentages for rates); the recipe and its parts
    first unless ``with_recipe`` is False (a page that writes them above the table, where a long line wraps)."""
    summary = result.summary
    rows = [("recipe", summary.recipe_label)] if with_recipe else []
    rows += [("attacked model", summary.attacked_model),
            ("examples", summary.num_examples), ("succeeded", summary.successful_attacks),
            ("failed", summary.failed_attacks), ("skipped", summary.skipped_attacks),
            ("clean accuracy", f"{summary.clean_accuracy:.1%}"),
            ("accuracy under attack", f"{summary.accuracy_under_attack:.1%}"),
            ("attack success rate", f"{summary.attack_success_rate:.1%}"),
            ("perturbed words", f"{summary.avg_perturbed_word_percent:.1f}%"),
            ("words per example", f"{summary.avg_num_words:.1f}"),
            ("queries per example", f"{summary.avg_num_queries:.1f}"),
            ("attack time", f"{summary.wall_seconds:.1f} s on {summary.device}")]
    rows += [(f"transfer {row.source} → {row.target}", f"{row.transferred} of {row.target_correct_on_original} "
              f"({row.transfer_rate:.1%})") for row in result.transfers]
    return pd.DataFrame(rows, columns=["metric", "value"]).astype({"value": str})


def examples_frame(result: AttackResult, names: list[str]) -> pd.DataFrame:
    """One row per example: outcome, who flipped, labels before -> after, the kinds of change, and the text."""
    def name(label: int | None) -> str:
        return "" if label is None or label < 0 else names[label] if label < len(names) else str(label)

    rows = []
    for example in result.examples:
        has_sparse = example.sparse_label_original is not None
        rows.append({
            "index": example.index, "result": example.result, "label": name(example.label),
            "dense": f"{name(example.dense_label_original)} → {name(example.dense_label_perturbed)}",
            "sparse": (f"{name(example.sparse_label_original)} → {name(example.sparse_label_perturbed)}"
                       if has_sparse else ""),
            "change": example_change(example),
            "flipped_dense": example.dense_label_original != example.dense_label_perturbed,
            "flipped_sparse": has_sparse and example.sparse_label_original != example.sparse_label_perturbed,
            "changed_words": len(example.changed_word_indices), "queries": example.num_queries,
            "text": example.original_text})
    return pd.DataFrame(rows, columns=["index", "result", "label", "dense", "sparse", "change", "flipped_dense",
                                       "flipped_sparse", "changed_words", "queries", "text"])


def filter_examples(frame: pd.DataFrame, which: str) -> pd.DataFrame:
    if which not in EXAMPLE_FILTERS:
        raise RobustPruneError(f"unknown filter {which!r}; use one of {', '.join(EXAMPLE_FILTERS)}")
    if which in RESULT_STATUSES:
        return frame[frame["result"] == which]
    if which == "flipped in sparse only":
        return frame[frame["flipped_sparse"] & ~frame["flipped_dense"]]
    if which == "flipped in dense only":
        return frame[frame["flipped_dense"] & ~frame["flipped_sparse"]]
    return frame


def find_example(result: AttackResult, index: int) -> AttackExample:
    for example in result.examples:
        if example.index == index:
            return example
    raise RobustPruneError(f"no example {index} in this attack run")


def perturbed_word_indices(original: str, perturbed: str) -> list[int]:
    """Positions of the perturbed text's words that are not in the original (word-level diff)."""
    matcher = difflib.SequenceMatcher(None, words(original), words(perturbed), autojunk=False)
    changed = []
    for tag, _, _, start, end in matcher.get_opcodes():
        if tag != "equal":
            changed.extend(range(start, end))
    return changed


def highlighted_html(text: str, indices: list[int], colour: str) -> str:
    """``text`` as HTML, the words at ``indices`` marked in ``colour``; everything else escaped."""
    marked, parts, position = set(indices), [], 0
    for index, (start, end) in enumerate(word_spans(text)):
        if index in marked:
            parts.append(html.escape(text[position:start]))
            parts.append(f'<mark style="background:{colour};padding:0 2px;border-radius:3px">'
                         f"{html.escape(text[start:end])}</mark>")
            position = end
    parts.append(html.escape(text[position:]))
    return f'<div style="line-height:1.7;font-size:1.05rem">{"".join(parts)}</div>'


def example_html(example: AttackExample, show_invisible: bool = False) -> tuple[str, str]:
    """(original, perturbed) as HTML: replaced words red on the left, their replacements green on the right,
    changed characters and look-alike / invisible characters marked inside them (``marks``)."""
    from robustprune.figures.marks import example_sides_html

    return example_sides_html(example.original_text, example.perturbed_text, show_invisible)


def example_panel_html(example: AttackExample, names: list[str], show_invisible: bool = False) -> str:
    """One example as one HTML block: the original and the adversarial text side by side (one under the other on a
    narrow screen), each with the dense and sparse predictions on it, and the list of changes below. One block, not
    two columns of a heading, a text and bars each: every element costs a page's click time (``bench/results/
    streamlit-elements-cpu.md``)."""
    from robustprune.figures.marks import changes_html

    original, perturbed = example_html(example, show_invisible)
    sides = "".join(f'<div><div style="font-weight:600;margin-bottom:0.3rem">{title}</div>{text}'
                    f"{prediction_html(example, side, names)}</div>"
                    for title, side, text in (("Original", "original", original),
                                              ("Adversarial", "perturbed", perturbed)))
    return (f'<div style="display:grid;grid-template-columns:repeat(auto-fit,minmax(18rem,1fr));column-gap:2rem">'
            f"{sides}</div>{changes_html(example.original_text, example.perturbed_text)}")


def example_change(example: AttackExample) -> str:
    """The kinds of change of an example, for the table ("homoglyph, word swap"); empty when nothing changed."""
    if example.result == "skipped" or example.original_text == example.perturbed_text:
        return ""
    return ", ".join(change_kinds(example.original_text, example.perturbed_text))


def label_colour(label: str, names: list[str]) -> str:
    """One colour per class, the same on every page (class 0 red, class 1 green, ...)."""
    return LABEL_COLOURS[names.index(label) % len(LABEL_COLOURS)] if label in names else "#888888"


def prediction_html(example: AttackExample, side: str, names: list[str]) -> str:
    """Dense and sparse predicted label and its confidence on the ``side`` ("original" / "perturbed") text, as
    HTML bars: two numbers do not need a chart (and the page draws faster without one)."""
    rows = []
    for model in ("dense", "sparse"):
        label = getattr(example, f"{model}_label_{side}")
        if label is None or label < 0:
            continue
        name = names[label] if label < len(names) else str(label)
        confidence = getattr(example, f"{model}_confidence_{side}")
        rows.append(f'<div style="display:flex;align-items:center;gap:8px;margin:4px 0">'
                    f'<span style="width:3.6em;color:#495057;font-size:0.85rem">{model}</span>'
                    f'<span style="flex:1;background:#f1f3f5;border-radius:3px">'
                    f'<span style="display:block;width:{confidence:.1%};background:{label_colour(name, names)};'
                    f'color:white;padding:2px 6px;border-radius:3px;white-space:nowrap;font-size:0.85rem">'
                    f"{html.escape(name)} {confidence:.0%}</span></span></div>")
    return (f'<div style="margin:0.4rem 0 0.8rem"><div style="font-weight:600;font-size:0.9rem">prediction on the '
            f'{side} text</div>{"".join(rows)}</div>')


def prediction_figure(example: AttackExample, side: str, names: list[str]) -> go.Figure:
    """Dense and sparse predicted label and its confidence on the ``side`` ("original" / "perturbed") text."""
    bars = []
    for model in ("dense", "sparse"):
        label = getattr(example, f"{model}_label_{side}")
        if label is None or label < 0:
            continue
        bars.append((model, names[label] if label < len(names) else str(label),
                     getattr(example, f"{model}_confidence_{side}")))
    figure = go.Figure(go.Bar(
        y=[model for model, _, _ in bars], x=[confidence for _, _, confidence in bars], orientation="h",
        text=[f"{label} {confidence:.0%}" for _, label, confidence in bars], textposition="inside",
        marker_color=[label_colour(label, names) for _, label, _ in bars]))
    figure.update_layout(title=f"prediction on the {side} text", xaxis_range=[0, 1], xaxis_tickformat=".0%",
                         yaxis_autorange="reversed", height=200, margin=dict(l=10, r=10, t=40, b=10))
    return figure


__all__ = ["ATTACK_KIND", "EXAMPLE_FILTERS", "AttackRunInfo", "attack_run_info", "list_attack_runs",
           "load_attack_result", "pruned_label", "attacked_runs", "label_names", "summary_table", "examples_frame",
           "filter_examples", "find_example", "word_spans", "words", "perturbed_word_indices", "highlighted_html",
           "example_html", "example_panel_html", "example_change", "prediction_html", "prediction_figure"]
