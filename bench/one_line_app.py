"""The baselines of ``bench_dashboard``: two one-line Streamlit pages behind the same kind of navigation, and a
reference page of the elements a cached Prune view shows, in plain Streamlit (no robustprune code, nothing read).

The one-line pages are the issue's yardstick. The reference page tells what Streamlit itself costs for a page of
such elements on the machine at hand: the part of a view's time that no change inside robustprune can remove. The
table page is the same yardstick for a click on a row of a table (``st.dataframe`` selection, as the Attacks page's
examples table): a table and the one line its chosen row gives.
"""

import os

import streamlit as st


def one() -> None:
    st.write("baseline one")


def two() -> None:
    st.write("baseline two")


@st.cache_resource
def chart_svg(seed: int) -> str:
    """An SVG of about a heatmap's weight: 72 coloured cells with their values, axes, a title."""
    cells = []
    for index in range(72):
        x, y, value = 60 + (index % 12) * 85, 40 + (index // 12) * 45, ((index * 37 + seed) % 100) / 100
        cells.append(f'<rect x="{x}" y="{y}" width="84" height="44" fill="rgb(255,{int(255 * (1 - value))},'
                     f'{int(255 * (1 - value))})"/><text x="{x + 42}" y="{y + 27}" text-anchor="middle">{value:.3f}'
                     '</text>')
    ticks = "".join(f'<text x="{100 + i * 85}" y="330">{i}</text>' for i in range(12))
    return ('<svg xmlns="http://www.w3.org/2000/svg" width="1100" height="340" font-family="sans-serif" '
            f'font-size="12"><text x="550" y="20" text-anchor="middle">reference chart {seed}</text>'
            f'{"".join(cells)}{ticks}</svg>')


@st.cache_resource
def chart_figure(seed: int):
    """The same heatmap as ``chart_svg`` as a plotly figure: 72 cells with their values, axes, a title."""
    import plotly.graph_objects as go

    values = [[((row * 12 + column) * 37 + seed) % 100 / 100 for column in range(12)] for row in range(6)]
    figure = go.Figure(go.Heatmap(z=values, text=[[f"{value:.3f}" for value in row] for row in values],
                                  texttemplate="%{text}", colorscale="Reds"))
    return figure.update_layout(title=f"reference chart {seed}", height=340)


def chart(container, seed: int) -> None:
    """A chart as the app draws it: a plotly chart by default, an SVG image with ``ROBUSTPRUNE_CHARTS=static``."""
    if os.environ.get("ROBUSTPRUNE_CHARTS", "").strip().lower() == "static":
        container.image(chart_svg(seed), width="stretch")
    else:
        container.plotly_chart(chart_figure(seed), key=f"chart-{seed}")


def elements() -> None:
    """What a cached Prune view shows, element for element: a form (a select, a popover with a toggle beside
    it, the paper's levels and a slider), a caption, a success line, four metrics, four charts (as the app draws
    them), a select, a page link and a download button."""
    st.title("Reference")
    with st.container(border=True):
        left, middle, right = st.columns([1, 1, 3])
        left.selectbox("Method", ["krp", "sparsegpt", "wanda", "magnitude"], key="method")
        with middle:
            with st.popover("Model and data", width="stretch"):
                st.selectbox("Model", ["minilm"], key="model")
                st.number_input("Calibration texts", 1, 4096, 128, key="calibration")
            st.toggle("Paper's setup", key="paper")
        left.caption("minilm · rotten_tomatoes · one fine-tuned model · 128 calibration texts")
        with right:
            st.segmented_control("Paper's levels", [10, 30, 50, 70, 87.5], key="preset")
            st.slider("Sparsity (%)", 0.0, 95.0, 50.0, 0.5, key="sparsity")
    st.success("reference page: krp on minilm / rotten_tomatoes, on CPU.")
    for column, label in zip(st.columns(4), ("accuracy dense", "accuracy sparse", "achieved sparsity", "seconds")):
        column.metric(label, "80.0%")
    st.subheader("Reconstruction error per layer and sub-layer")
    chart(st, 0)
    st.selectbox("Compare with another method at this sparsity", ["none", "sparsegpt"], key="compare")
    chart(st, 1)
    left, right = st.columns([2, 1])
    chart(left, 2)
    chart(right, 3)
    left, right = st.columns([3, 1])
    left.page_link(pages["one"], label="Attack this run")
    right.download_button("Export report", "report", "report.html", on_click="ignore")


def table() -> None:
    """A ten-row table whose chosen row is one line below it."""
    import pandas as pd

    chosen = st.dataframe(pd.DataFrame({"example": range(10), "result": ["Successful", "Failed"] * 5}),
                          hide_index=True, on_select="rerun", selection_mode="single-row", key="rows")
    rows = chosen.selection.rows
    st.write(f"table row {rows[0] if rows else 'none'} chosen")


pages = {"one": st.Page(one, title="One", default=True), "two": st.Page(two, title="Two", url_path="two"),
         "elements": st.Page(elements, title="Elements", url_path="elements"),
         "table": st.Page(table, title="Table", url_path="table")}
if __name__ == "__main__":  # the script Streamlit runs (bench/element_pages_app.py imports chart_svg from here)
    st.navigation(list(pages.values())).run()
