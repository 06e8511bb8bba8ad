"""robustprune dashboard: ``streamlit run app.py``.

The entry script only names the pages; each page opens with ``widgets.page_frame()``
(page setup, the sidebar with the compute device, worker and running jobs, and on the
first start the dense default's fine-tuning job with live progress), so that a page is
complete however it is reached: through this navigation, or directly on a fresh server.
Pages render; the library computes; the worker process runs every job.
"""

import streamlit as st

st.navigation([
    st.Page("pages/overview.py", title="Overview", icon=":material/insights:", default=True),
    st.Page("pages/prune.py", title="Prune", icon=":material/content_cut:", url_path="prune"),
    st.Page("pages/attacks.py", title="Attacks", icon=":material/swords:", url_path="attacks"),
    st.Page("pages/embeddings.py", title="Embeddings", icon=":material/scatter_plot:", url_path="embeddings"),
    st.Page("pages/runs.py", title="Runs", icon=":material/database:", url_path="runs"),
]).run()
