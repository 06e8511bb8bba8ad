"""A report a stakeholder can open without the app: one self-contained HTML file.

``build_report(run=…)`` for a pruning run (or an attack run), ``build_report(attack=…)``
for an attack run, ``build_report(overview=True)`` for everything cached; the dashboard's
"Export report" buttons and ``robustprune report`` call it. ``write_report`` writes it to
a file the user named (``robustprune.output_files``: atomically, or as a stream to a device).
"""

from __future__ import annotations

import os
from pathlib import Path

from robustprune.errors import RobustPruneError
from robustprune.report.document import ReportDocument
from robustprune.store import PRUNING_KINDS, RunStore

REPORT_KINDS = (*PRUNING_KINDS, "attack")


def build_report(run: str | None = None, attack: str | None = None, overview: bool = False,
                 store: RunStore | None = None, examples: int | None = None, compute: bool = False) -> str:
    """The report's HTML. Exactly one of ``run`` (a pruning or attack run id), ``attack`` (an attack run id) and
    ``overview``; ``examples``: how many examples per attack; ``compute``: compute the per-layer AUC and the
    chosen examples' attributions that are not cached yet (models are loaded; seconds per example on a CPU)."""
    from robustprune.report import sections

    if sum((run is not None, attack is not None, bool(overview))) != 1:
        raise RobustPruneError("a report is of one thing: pass a run id, an attack run id, or the overview")
    store = store or RunStore()
    if overview:
        document = ReportDocument("robustprune: every cached run", "the runs of this run store")  # not the
        # server's path: a report is shared
        sections.overview_report(document, store)
        return document.render()
    record = store.require(run or attack, verify=True, kinds=("attack",) if attack is not None else REPORT_KINDS)
    if attack is not None and record.kind != "attack":
        raise RobustPruneError(f"run {attack!r} is of kind '{record.kind}', not an attack run; use --run for it")
    if record.kind not in REPORT_KINDS:
        known = ", ".join(store.suggestions(record.run_id, REPORT_KINDS, count=4)) or "none cached yet"
        raise RobustPruneError(f"run {record.run_id!r} is of kind '{record.kind}'; a report is of a pruning run "
                               f"({', '.join(REPORT_KINDS[:2])}), an attack run, or the overview (e.g. {known})")
    if record.kind == "attack":
        summary = record.summary
        outcome = summary["summary"]  # the title names the recipe; its parts are a row of the attack's table
        document = ReportDocument(f"Attack {record.run_id}: {outcome['recipe']} on the {outcome['attacked_model']} "
                                  "model", f"{record.model} on {record.dataset}; attacked run {summary['target_run_id']}")
        sections.attack_report(document, store, record, examples or sections.EXAMPLES_PER_ATTACK, compute)
    else:
        document = ReportDocument(f"Pruning run {record.run_id}: {record.method}",
                                  f"{record.model} on {record.dataset}")
        sections.pruning_run_sections(document, store, record, examples=examples or 3, compute=compute)
    return document.render()


def write_report(path: str | os.PathLike, **options) -> Path:
    """``build_report(**options)`` written to ``path`` (checked first; a file through a temporary file: never
    half-written)."""
    from robustprune.output_files import checked_output, write_output

    output = checked_output(path, "-o", "report.html")
    return write_output(output, build_report(**options))


__all__ = ["build_report", "write_report"]
