"""``robustprune attack``'s printout: TextAttack's summary, then the first examples, dense and sparse side by side.

Each example is a row (index, outcome, true label, each model's label and confidence on the original and on the
perturbed text, queries), its original text and the words the attack changed, cut to fit a 100-character terminal.
``--json`` and ``robustprune report --attack`` have every example in full.
"""

from __future__ import annotations

WIDTH = 100  # characters a line may take
CLASS_NAME_WIDTH = 8  # longer class names are cut (ag_news's "Sci/Tech" fits)
TEXT_INDENT = " " * 6  # a text line starts under its row's outcome


def print_attack_run(run, texts=None, examples: int = 10) -> None:
    """The summary, the parts, the transfers and the first ``examples`` examples of an ``AttackRun``; ``texts``:
    the ``AttackTexts`` attacked, if any (without labels, the summary says whose predictions the labels are)."""
    from robustprune.labels import budget_label
    from robustprune.store import RunStore

    summary = run.result.summary
    target = RunStore().get(run.target_run_id)
    label = (target and budget_label(target)) or \
        f"{run.method}{'' if run.method == 'dense' else f' {run.sparsity:.1%}'}"
    print(f"{run.run_id}: {summary.recipe_label} against {label} ({run.target_run_id})"
          f"{' (cached)' if run.cached else f' in {summary.wall_seconds:.0f} s'}")
    for name, value in summary_rows(summary, texts):
        print(f"  {name:<32} {value}")
    for part, source in summary.parts.items():
        print(f"  {part + ':':<32} {source}")
    for transfer in run.result.transfers:
        print(f"  transfer {transfer.source} -> {transfer.target}: {transfer.transferred} of "
              f"{transfer.num_adversarial} adversarial examples also fool the {transfer.target} model")
    print_attack_examples(run, examples)


def summary_rows(summary, texts=None) -> list[tuple[str, object]]:
    """TextAttack's summary table, in its words; texts without labels say that the dense model gave them."""
    rows = [("Number of successful attacks", summary.successful_attacks),
            ("Number of failed attacks", summary.failed_attacks),
            ("Number of skipped attacks", summary.skipped_attacks),
            ("Original accuracy", f"{summary.clean_accuracy:.1%}"),
            ("Accuracy under attack", f"{summary.accuracy_under_attack:.1%}"),
            ("Attack success rate", f"{summary.attack_success_rate:.1%}"),
            ("Average perturbed word %", f"{summary.avg_perturbed_word_percent:.1f}%"),
            ("Average num. words per input", f"{summary.avg_num_words:.1f}"),
            ("Avg num queries", f"{summary.avg_num_queries:.1f}")]
    if texts is not None and texts.labels is None:
        rows.insert(4, ("Labels", f"the dense model's predictions ({texts.source} has no labels)"))
    return rows


def print_attack_examples(run, limit: int) -> None:
    """The first ``limit`` examples, a row and a text line or two each, then how many were left out and where
    they are."""
    examples = run.result.examples
    if limit < 1 or not examples:
        return
    shown = examples[:limit]
    table = ExampleTable(class_names(run.dense_run_id), shown)
    print(f"  examples: label and confidence on the original -> the perturbed text "
          f"({f'first {len(shown)} of' if len(shown) < len(examples) else 'all'} {len(examples)})")
    print(table.row("#", "outcome", "label", "dense", "sparse" if table.with_sparse else None, "queries"))
    for example in shown:
        print_example(example, table)
    if len(examples) > len(shown):
        print(f"  ... and {len(examples) - len(shown)} more: `--examples {len(examples)}` prints them; `--json` or")
        print(f"  `robustprune report --attack {run.run_id} -o report.html` has every example in full")


class ExampleTable:
    """The examples' columns: class names as wide as the longest shown (at most ``CLASS_NAME_WIDTH``), the
    sparse model's column only for an attack of a pruning run."""

    def __init__(self, classes: list[str], examples) -> None:
        self.classes = classes
        self.with_sparse = examples[0].sparse_label_original is not None
        labels = [label for example in examples for label in (example.label, example.dense_label_original,
                                                                example.dense_label_perturbed)]
        self.name_width = max(len(self.name(label)) for label in labels)

    def name(self, label: int | None) -> str:
        classes = self.classes
        name = classes[label] if label is not None and 0 <= label < len(classes) else str(label)
        return name[:CLASS_NAME_WIDTH]

    def prediction(self, label, confidence, perturbed_label=None, perturbed_confidence=None) -> str:
        """ "positive  92% -> negative  55%", or only the first half (a skipped example: nothing was perturbed)."""
        original = f"{self.name(label):<{self.name_width}} {confidence:>4.0%}"
        if perturbed_label is None:
            return original
        return f"{original} -> {self.name(perturbed_label):<{self.name_width}} {perturbed_confidence:>4.0%}"

    def row(self, index, outcome, label, dense, sparse, queries) -> str:
        """One row; ``sparse`` None leaves its column out (an attack of the dense model)."""
        prediction_width = 2 * self.name_width + 14
        row = f"  {index:>3} {outcome:<9} {label:<{max(self.name_width, 5)}} {dense:<{prediction_width}}"
        if self.with_sparse:
            row += f"  {sparse:<{prediction_width}}"
        return f"{row} {queries:>7}"


def print_example(example, table: ExampleTable) -> None:
    perturbed = example.result != "skipped"  # a skipped example's "perturbed" text is the original

    def prediction(model: str) -> str | None:
        label, confidence = (getattr(example, f"{model}_{name}_original") for name in ("label", "confidence"))
        if label is None:
            return None
        if not perturbed:
            return table.prediction(label, confidence)
        return table.prediction(label, confidence, *(getattr(example, f"{model}_{name}_perturbed")
                                                     for name in ("label", "confidence")))

    print(table.row(example.index, example.result, table.name(example.label), prediction("dense"),
                    prediction("sparse"), example.num_queries))
    print(cut(TEXT_INDENT + one_line(example.original_text)))
    if perturbed:
        changed = changed_words(example.original_text, example.perturbed_text)
        verb = "changed" if example.result == "succeeded" else "tried"
        print(cut(f"{TEXT_INDENT}{verb}: {changed or 'nothing'}"))


def changed_words(original: str, perturbed: str) -> str:
    """Each changed block of words and, unless a word was swapped for another, the kind of change (a look-alike
    or an invisible character reads the same on screen): "absolutely -> absоlutely (homoglyph), proves -> seems"."""
    from robustprune.attack.changes import word_changes

    described = []
    for change in word_changes(original, perturbed):
        text = f"{change.original or '(nothing)'} -> {change.perturbed or '(nothing)'}"
        described.append(text if change.kind == "word swap" else f"{text} ({change.kind})")
    return ", ".join(described)


def class_names(dense_run_id: str) -> list[str]:
    """The dense model's class names (from its saved config), [] if they cannot be read."""
    from robustprune.attack.texts import stored_classes
    from robustprune.errors import RobustPruneError
    from robustprune.store import RunStore

    try:
        return stored_classes(dense_run_id, RunStore())
    except (RobustPruneError, OSError, ValueError):
        return []


def one_line(text: str) -> str:
    return " ".join(text.split())


def cut(line: str) -> str:
    """``line`` cut to ``WIDTH`` characters, its end marked."""
    return line if len(line) <= WIDTH else line[:WIDTH - 3] + "..."
