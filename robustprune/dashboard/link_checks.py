"""A link's value that its widget cannot take is said, not dropped without a word.

A widget bound to the URL (``bind="query-params"``) that finds a value it cannot take
(``sparsity=150``, ``method=nosuch``, ``seeds=0``) starts at its default and rewrites the
URL: the page then shows another run than the link named, and nothing says so. ``checked``
makes the widget as before and, when the link's value was not one it takes, says which value
was refused, what it takes, and what the page shows instead, once per value, in a toast that
stays until it is closed (it fits any column, and a fragment may show one).
"""

from __future__ import annotations

import math
from typing import Callable

import streamlit as st

Check = Callable[[list[str]], bool]


def shown_value(value) -> str:
    """A widget's value as the notice says it: a multiselect's items listed (or "none")."""
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value)) or "none"
    return str(value)


LONGEST_SHOWN = 40  # characters of a link's value a notice echoes (a 20,000-character value is cut here)


def cut(text: str, limit: int = LONGEST_SHOWN) -> str:
    """``text`` as a notice shows a value it did not choose: its first ``limit`` characters, "…" for the rest."""
    return text if len(text) <= limit else text[:limit] + "…"


def fresh(key: str, given: str) -> bool:
    """Whether the link's value ``given`` for ``key`` has not been dealt with yet in this session."""
    return st.session_state.get(f"{key}-link-checked") != given


def said(key: str, given: str) -> None:
    """Take the link's value ``given`` for ``key`` as dealt with (checked, or the page said something of its own)."""
    st.session_state[f"{key}-link-checked"] = given


def checked(key: str, make: Callable, takes: str, check: Check, shown: Callable = shown_value):
    """``make()`` (a widget bound to the URL parameter ``key``), and a notice when the link's value for ``key`` fails
    ``check``: "The link's key='value' is not {takes}; showing {shown(widget value)}"."""
    given = st.query_params.get_all(key)
    value = make()
    text = ",".join(given)
    if given and fresh(key, text):
        said(key, text)
        if not check(given):
            st.toast(f"The link's {key}={cut(text)!r} is not {takes}; showing {shown(value)}.",
                     icon=":material/link_off:", duration="infinite")
    return value


def number_in(low: float, high: float, whole: bool = False) -> Check:
    """One number in [low, high] (a whole one with ``whole``)."""
    def check(given: list[str]) -> bool:
        try:
            number = float(given[0]) if len(given) == 1 else math.nan
        except ValueError:
            return False
        return math.isfinite(number) and low <= number <= high and (not whole or number.is_integer())

    return check


def one_of(options) -> Check:
    """One of ``options``, written as the widget writes it."""
    allowed = {str(option) for option in options}
    return lambda given: len(given) == 1 and given[0] in allowed


def each_of(options) -> Check:
    """Any number of ``options`` (a multiselect), each written as the widget writes it."""
    allowed = {str(option) for option in options}
    return lambda given: all(value in allowed for value in given)


def listed(options) -> str:
    return "one of " + ", ".join(str(option) for option in options)


__all__ = ["checked", "cut", "fresh", "said", "number_in", "one_of", "each_of", "listed"]
