"""Differences and intervals as people read them: signed points, the 95 % interval, the p-value."""

from __future__ import annotations

import math


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def points(value: float) -> str:
    """A difference of fractions in signed percentage points, e.g. ``−2.0``."""
    return "" if _missing(value) else f"{value * 100:+.1f}".replace("-", "−")


def difference_text(difference: float, low: float, high: float, p_value: float | None = None,
                    paired: bool | None = True) -> str:
    """``−2.0 (−8.1, +4.0) p 0.70`` — points, the 95 % interval, the p-value; ``unpaired`` said where so."""
    if _missing(difference):
        return ""
    text = f"{points(difference)} ({points(low)}, {points(high)})"
    if not _missing(p_value):
        text += f" p {p_value:.2g}" if p_value < 0.01 else f" p {p_value:.2f}"
    return text + ("" if paired in (True, None) else " unpaired")


def interval_text(value: float, low: float, high: float) -> str:
    """``0.240 (0.167–0.332)``: an accuracy and its Wilson interval."""
    if _missing(value):
        return ""
    return f"{value:.3f} ({low:.3f}–{high:.3f})"


__all__ = ["points", "difference_text", "interval_text"]
