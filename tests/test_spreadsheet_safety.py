"""Exported CSVs: a text cell a spreadsheet would run as a formula gets a leading apostrophe (OWASP's rule)."""

from __future__ import annotations

import csv
import io

import pandas as pd

from robustprune.figures import runs
from robustprune.spreadsheet_safety import neutralised


def test_the_runs_export_neutralises_formula_cells_and_keeps_numbers():
    frame = pd.DataFrame({"model": ["=HYPERLINK(\"http://x\",\"click\")", "+1+1", "-2+3", "@SUM(A1)", "\tx",
                                    "minilm", "a=b"],
                          "accuracy": [-0.5, 0.1, 0.2, 0.3, 0.4, 0.6, 0.7]})
    rows = list(csv.DictReader(io.StringIO(runs.export_bytes(frame, "CSV").decode(), newline="")))
    assert [row["model"] for row in rows] == ["'=HYPERLINK(\"http://x\",\"click\")", "'+1+1", "'-2+3", "'@SUM(A1)",
                                              "'\tx", "minilm", "a=b"]
    assert [float(row["accuracy"]) for row in rows] == frame["accuracy"].tolist()  # -0.5 stays a number


def test_column_names_are_neutralised_too_and_the_frame_is_not_changed():
    frame = pd.DataFrame({"=cmd": ["=1", "\r=1"], "n": [1, 2]})
    safe = neutralised(frame)
    assert list(safe.columns) == ["'=cmd", "n"] and safe.iloc[:, 0].tolist() == ["'=1", "'\r=1"]
    assert frame.iloc[0, 0] == "=1"
