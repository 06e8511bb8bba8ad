"""The dashboard's pages, and the sidebar navigation between them.

``app.py`` runs the navigation. Streamlit has a quirk: the first request a fresh server gets
for a page's URL (``/prune?...``, e.g. a shared link) runs ``pages/prune.py`` on its own,
without ``app.py``, and the sidebar then lists the raw file names. ``ensure_navigation``,
called by every page first, declares the same navigation in that case and reruns, so that
a page looks and behaves the same however it is reached.
"""

from __future__ import annotations

import threading

import streamlit as st

# A page's icon is also the browser tab's: a Material icon there is fetched from Google's font server (offline, a
# failed request on every page opened); an emoji is drawn by the browser. These have a glyph in the DejaVu fonts too,
# for a machine without an emoji font (Debian's headless Chromium drew most emoji as empty boxes).
PAGES = [  # script, title, icon, URL path ("" for the default page)
    ("pages/overview.py", "Overview", "⚖️", ""),
    ("pages/prune.py", "Prune", "✂️", "prune"),
    ("pages/attacks.py", "Attacks", "⚔️", "attacks"),
    ("pages/embeddings.py", "Embeddings", "✳️", "embeddings"),
    ("pages/sweep.py", "Sweep", "⚙️", "sweep"),
    ("pages/frontier.py", "Frontier", "📈", "frontier"),
    ("pages/runs.py", "Runs", "☑️", "runs"),
]
_inside_app = threading.local()
NAVIGATION_DECLARED = "navigation-declared"  # a script run is one thread: set while app.py runs a page


def pages() -> list:
    return [st.Page(script, title=title, icon=icon, url_path=url_path or None, default=not url_path)
            for script, title, icon, url_path in PAGES]


def run_app() -> None:
    """The entry script's navigation: the sidebar links, then the page the URL names (on a fresh server, with the
    static charts' browser starting beside it)."""
    from robustprune.figures import static_charts

    static_charts.start_in_background()
    page = st.navigation(pages())
    _inside_app.active = True
    try:
        page.run()
    finally:
        _inside_app.active = False


def ensure_navigation() -> None:
    """When a page runs on its own (a fresh server's first request named it), declare the navigation and
    run again through it: widgets then get the identities they keep on every later run."""
    if getattr(_inside_app, "active", False) or st.session_state.get(NAVIGATION_DECLARED):
        return
    st.session_state[NAVIGATION_DECLARED] = True  # once per session (AppTest runs pages on their own)
    st.navigation(pages())
    st.rerun()


PENDING_LINK = "pending-link"


def open_view(page: str, params: dict[str, str]) -> None:
    """Go to ``page`` with ``params`` as its URL. The parameters travel in the session and are set by the
    target page (``apply_pending_link``): Streamlit refuses to set, from this page, a parameter that one of
    this page's widgets is bound to."""
    st.session_state[PENDING_LINK] = dict(params)
    st.switch_page(page)


# URL parameters that pages bind to widgets (``bind="query-params"``), with the widget's value type
def _flag(value) -> bool:
    return str(value).lower() in ("true", "1", "yes")


BOUND_WIDGETS = {"model": str, "dataset": str, "text_column": str, "label_column": str, "method": str, "dense": str,
                 "calibration": int, "pattern": str, "sparsity": float, "flops": float, "tokens": int,
                 "paper": _flag, "refit": _flag, "adversarial": int, "a": str, "b": str}


def apply_pending_link() -> None:
    """Set the parameters ``open_view`` left for this page. A parameter bound to a widget is set as the widget's
    value (the binding writes it to the URL; a URL changed during a run does not move the widget); any other
    goes straight into the URL."""
    pending = st.session_state.pop(PENDING_LINK, None) or {}
    for key, value in pending.items():
        if key in BOUND_WIDGETS:
            st.session_state[key] = BOUND_WIDGETS[key](value)
        else:
            st.query_params[key] = value


__all__ = ["PAGES", "pages", "run_app", "ensure_navigation", "open_view", "apply_pending_link"]
