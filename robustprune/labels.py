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


def variant_suffix(summary: dict) -> str:
    """"+refit", "+adv=N", both or nothing: a pruning run's options beyond its method (``sweep.spec.MethodVariant``)."""
    config = summary.get("config")
    if not isinstance(config, dict):
        return ""
    return (("+refit" if config.get("refit_head") else "")
            + (f"+adv={config['calibration_adversarial']}" if config.get("calibration_adversarial") else ""))


def run_method_label(record) -> str:
    """The method label of a stored run (``RunRecord``): "krp+refit 2:4"; a run of another kind keeps its method."""
    if record.kind == "prune":
        return method_label(record.method + variant_suffix(record.summary), pattern_of(record.summary))
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


__all__ = ["method_label", "pattern_of", "variant_suffix", "run_method_label", "line_label", "line_method", "line_pattern",
           "prune_label", "budget_label"]
