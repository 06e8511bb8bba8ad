"""Cells a spreadsheet would run: a CSV exported from the app carries texts and model names a user (or an attack)
chose, and a value starting with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage return, which some spreadsheets
skip before reading one) is a live formula when the file is opened. OWASP's CSV-injection rule: prefix such a cell
with an apostrophe, which the spreadsheet shows as text and does not keep in the value."""

from __future__ import annotations

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised_cell(value):
    """``value`` with a leading apostrophe when it is text a spreadsheet would take for a formula; else as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralised(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells (and column names) a spreadsheet reads as text, never as formulas.
    Numbers stay numbers: a negative number is not text, so ``-0.5`` is written as it is."""
    frame = frame.rename(columns=neutralised_cell)
    text_columns = [column for column in frame.columns if not pd.api.types.is_numeric_dtype(frame[column])]
    if not text_columns:
        return frame
    frame = frame.copy()
    for column in text_columns:
        frame[column] = frame[column].map(neutralised_cell)
    return frame


__all__ = ["neutralised", "neutralised_cell", "FORMULA_STARTS"]
