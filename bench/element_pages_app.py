"""The pages of ``bench_streamlit_elements``: two one-line pages, and one page per kind of Streamlit element that
the dashboard's views show, each holding ``COPIES`` of that element and nothing else (no robustprune code).

A sidebar click to such a page, against a click to a one-line page, tells what one element of that kind adds to a
click on the machine at hand: Streamlit's part of a view's time, element by element.
"""

import pandas as pd
import streamlit as st

try:
    from one_line_app import chart_svg  # run by Streamlit: the script's folder is on the path
except ImportError:
    from bench.one_line_app import chart_svg  # imported by the bench for its element names

COPIES = 10
MARK = "element page"  # shown last on every element page: the driver waits for it


def one() -> None:
    st.write("baseline one")


def two() -> None:
    st.write("baseline two")


def popover(index: int) -> None:
    with st.popover(f"Model and data {index}"):
        st.selectbox("Model", ["minilm"], key=f"model{index}")
        st.number_input("Calibration texts", 1, 4096, 128, key=f"calibration{index}")


def columns(index: int) -> None:
    for column, text in zip(st.columns([1, 1, 3]), "abc"):
        column.write(f"{text}{index}")


TABLE = pd.DataFrame({"method": ["krp", "sparsegpt", "wanda", "magnitude"] * 5,
                      "sparsity": [0.5] * 20, "accuracy": [0.8] * 20})
ELEMENTS = {  # name: one element of that kind, given its index
    "text": lambda index: st.write(f"A line of text {index}."),
    "caption": lambda index: st.caption(f"minilm · rotten_tomatoes · 128 calibration texts {index}"),
    "subheader": lambda index: st.subheader(f"Reconstruction error {index}"),
    "success": lambda index: st.success(f"krp on minilm / rotten_tomatoes {index}"),
    "html": lambda index: st.html(f"<div><b>dense</b> positive 0.93 · <b>sparse</b> negative 0.71 ({index})</div>"),
    "metric": lambda index: st.metric(f"accuracy {index}", "80.0%"),
    "image (SVG chart)": lambda index: st.image(chart_svg(index), width="stretch"),
    "columns (3, text)": columns,
    "bordered container": lambda index: st.container(border=True).write(f"inside {index}"),
    "popover (2 widgets)": popover,
    "expander (closed)": lambda index: st.expander(f"More {index}").write("inside"),
    "selectbox": lambda index: st.selectbox(f"Method {index}", ["krp", "sparsegpt"], key=f"select{index}"),
    "multiselect": lambda index: st.multiselect(f"Methods {index}", ["krp", "sparsegpt"], ["krp"], key=f"multi{index}"),
    "number_input": lambda index: st.number_input(f"Examples {index}", 1, 1000, 20, key=f"number{index}"),
    "slider": lambda index: st.slider(f"Sparsity {index}", 0.0, 95.0, 50.0, 0.5, key=f"slider{index}"),
    "toggle": lambda index: st.toggle(f"Paper's setup {index}", key=f"toggle{index}"),
    "radio (horizontal)": lambda index: st.radio(f"Level {index}", [10, 30, 50, 70, 87.5], horizontal=True,
                                                 key=f"radio{index}"),
    "segmented_control": lambda index: st.segmented_control(f"Levels {index}", [10, 30, 50, 70, 87.5],
                                                            key=f"segmented{index}"),
    "button": lambda index: st.button(f"Attack {index}", key=f"button{index}"),
    "download_button": lambda index: st.download_button(f"Export report {index}", "report", "report.html",
                                                        on_click="ignore", key=f"download{index}"),
    "dataframe (20 rows)": lambda index: st.dataframe(TABLE, hide_index=True, key=f"table{index}"),
}


def element_page(name: str):
    def page() -> None:
        for index in range(COPIES):
            ELEMENTS[name](index)
        st.write(MARK)
    return page


def url_path(name: str) -> str:
    return "".join(character for character in name if character.isalnum())


if __name__ == "__main__":  # the script Streamlit runs
    pages = [st.Page(one, title="One", default=True), st.Page(two, title="Two", url_path="two")]
    pages += [st.Page(element_page(name), title=name, url_path=url_path(name)) for name in ELEMENTS]
    st.navigation(pages).run()
