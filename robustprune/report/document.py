"""One self-contained HTML file: headings, text, tables and plotly figures, with plotly.js inlined once.

The first figure carries plotly.js (``include_plotlyjs=True``, about 4.6 MB); the others
only their data, so the file opens from disk with no network. Everything that comes from
a dataset or a run (texts, ids, settings) is escaped; only the HTML this package builds
itself (the example marks of ``robustprune.figures.marks``) is inserted as is.
"""

from __future__ import annotations

import html
import time
from dataclasses import dataclass, field

import pandas as pd

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem auto; max-width: 1200px;
       padding: 0 1rem; color: #212529; }
h1 { margin-bottom: 0.2rem; } h2 { border-bottom: 1px solid #dee2e6; padding-bottom: 0.2rem; margin-top: 2.2rem; }
h3 { margin-top: 1.6rem; } .meta { color: #6c757d; font-size: 0.9rem; }
table.data { border-collapse: collapse; margin: 0.6rem 0; font-size: 0.9rem; }
table.data th, table.data td { border: 1px solid #dee2e6; padding: 3px 8px; text-align: left; vertical-align: top; }
table.data th { background: #f1f3f5; }
.side-by-side { display: grid; grid-template-columns: 1fr 1fr; gap: 1.2rem; }
.example { border: 1px solid #dee2e6; border-radius: 6px; padding: 0.4rem 1rem 0.8rem; margin: 1rem 0; }
.figure { margin: 0.6rem 0; }
"""
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}


@dataclass
class ReportDocument:
    title: str
    subtitle: str = ""
    parts: list[str] = field(default_factory=list)
    figures: int = 0

    def heading(self, text: str, level: int = 2) -> None:
        self.parts.append(f"<h{level}>{html.escape(text)}</h{level}>")

    def paragraph(self, text: str, css_class: str | None = None) -> None:
        attribute = f' class="{css_class}"' if css_class else ""
        self.parts.append(f"<p{attribute}>{html.escape(text)}</p>")

    def table(self, frame: pd.DataFrame, float_format: str = "{:.4g}") -> None:
        """A frame as an HTML table, every cell escaped."""
        formatted = frame.copy()
        for column in formatted.columns:
            if pd.api.types.is_float_dtype(formatted[column]):
                formatted[column] = formatted[column].map(lambda value: "" if pd.isna(value)
                                                          else float_format.format(value))
        self.parts.append(formatted.to_html(index=False, escape=True, classes="data", border=0))

    def settings(self, values: dict) -> None:
        """A flat two-column table of settings (nested dicts spelled out as a.b)."""
        from robustprune.figures.runs import flatten

        rows = flatten(values)
        self.table(pd.DataFrame({"setting": list(rows), "value": list(rows.values())}))

    def figure(self, figure) -> None:
        """A plotly figure, in the dashboard's static charts' template (whichever process built it: inside Streamlit a
        figure carries placeholder colours); plotly.js goes with the first one only."""
        from robustprune.figures.static_charts import with_template

        self.parts.append('<div class="figure">' + with_template(figure).to_html(
            full_html=False, include_plotlyjs=self.figures == 0, config=PLOTLY_CONFIG) + "</div>")
        self.figures += 1

    def raw(self, markup: str) -> None:
        """HTML built by robustprune itself (already escaped where it holds data)."""
        self.parts.append(markup)

    def render(self) -> str:
        created = time.strftime("%Y-%m-%d %H:%M")
        subtitle = f'<p class="meta">{html.escape(self.subtitle)}</p>' if self.subtitle else ""
        return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                f"<title>{html.escape(self.title)}</title><style>{STYLE}</style></head><body>"
                f"<h1>{html.escape(self.title)}</h1>{subtitle}"
                f'<p class="meta">robustprune report, {created}; self-contained: opens without a network.</p>'
                + "\n".join(self.parts) + "</body></html>\n")


__all__ = ["ReportDocument"]
