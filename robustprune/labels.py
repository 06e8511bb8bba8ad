"""How a run is named wherever runs are grouped or labelled: the CLI's ``runs`` and ``table``, and the
dashboard's curves, tables and pickers.

A pruning run's *method label* is its method with its options, written as a sweep takes
them ("krp+refit", "krp+adv=128"), and its N:M pattern, when it has one ("krp", "krp 2:4"),
so that a run is never grouped (or averaged as if it were another seed) with the runs of
another setting of its method. Its *line* (a curve of the Overview) also names a dense start other than one
fine-tuned model ("krp (soup)", "krp 2:4 (soup)"). Its *budget label* says how much was
pruned ("krp 50.0%", "krp 2:4", "kprune −50% FLOPs").
"""

from __future__ import annotations

def method_label(method: str, pattern: str | None = None) -> str:
    """"krp", or "krp 2:4" for an N:M run."""
    return f"{method} {pattern}" if pattern else method


def pattern_of(summary: dict) -> str | None:
    """The N:M pattern of an unstructured pruning run's summary (its ``PruneConfig``), None when unstructured."""
    config = summary.get("config")
    return config.get("pattern") if isinstance(config, dict) else None


def variant_label(method: str, refit_head: bool = False, calibration_adversarial: int = 0) -> str:
    """A method with its options as a sweep takes them: "krp", "krp+refit", "krp+adv=128", "krp+refit+adv=128"."""
    return (method + ("+refit" if refit_head else "")
            + (f"+adv={calibration_adversarial}" if calibration_adversarial else ""))


def run_variant_label(summary: dict, method: str) -> str:
    """``variant_label`` of a stored pruning run (its summary's ``PruneConfig``)."""
    config = summary.get("config")
    if not isinstance(config, dict):
        return method
    return variant_label(method, bool(config.get("refit_head")), config.get("calibration_adversarial") or 0)


def run_method_label(record) -> str:
    """The method label of a stored run (``RunRecord``): "krp+refit 2:4"; a run of another kind keeps its method."""
    if record.kind == "prune":
        return method_label(run_variant_label(record.summary, record.method), pattern_of(record.summary))
    return record.method or ""


def line_label(record) -> str:
    """A pruning run's curve: its method label, and its dense start unless it is one fine-tuned model."""
    start = record.summary.get("dense_start", "finetune")
    label = run_method_label(record)
    return label if start == "finetune" else f"{label} ({start})"


def line_method(line: str) -> str:
    """The pruning method of a line or method label ("krp+refit 2:4 (soup)" -> "krp")."""
    return line.split(" (")[0].split(" ")[0].split("+")[0]


def line_pattern(line: str) -> str | None:
    """The N:M pattern of a line or method label ("krp 2:4 (soup)" -> "2:4"), None for an unstructured one."""
    words = line.split(" (")[0].split(" ")
    return words[1] if len(words) > 1 else None


def prune_label(method: str, pattern: str | None, sparsity: float) -> str:
    """An unstructured pruning run's method and budget: "krp 50.0%", or "krp 2:4" (the pattern fixes the budget)."""
    return method_label(method, pattern) if pattern else f"{method} {sparsity:.1%}"


def budget_label(record) -> str | None:
    """A stored pruning run's method and budget ("krp 50.0%", "krp 2:4", "kprune −50% FLOPs"); None for other runs."""
    summary = record.summary
    if record.kind == "prune":
        return prune_label(record.method, pattern_of(summary), summary.get("sparsity", 0))
    if record.kind == "structured":
        return f"{record.method} −{summary.get('flops_reduction', 0):.0%} FLOPs"
    return None


__all__ = ["method_label", "pattern_of", "variant_label", "run_variant_label", "run_method_label", "line_label",
           "line_method", "line_pattern", "prune_label", "budget_label"]
