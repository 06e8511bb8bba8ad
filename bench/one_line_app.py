"""The baseline of ``bench_dashboard``: two one-line Streamlit pages behind the same kind of navigation."""

import streamlit as st


def one() -> None:
    st.write("baseline one")


def two() -> None:
    st.write("baseline two")


st.navigation([st.Page(one, title="One", default=True), st.Page(two, title="Two", url_path="two")]).run()
