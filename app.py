"""robustprune dashboard: entry page.

Run with ``streamlit run app.py``. Pages render; the library computes.
"""

import streamlit as st

from robustprune.dashboard import dense_status
from robustprune.dashboard.runs import list_runs_frame

st.set_page_config(page_title="robustprune", page_icon="✂️", layout="wide")
st.title("robustprune")
st.markdown(
    "How does pruning change the adversarial robustness of a transformer text classifier? "
    "Prune with magnitude, SparseGPT or knowledge-retention pruning (krp), then compare accuracy, "
    "per-layer reconstruction error and attacks, dense and sparse side by side."
)

with st.sidebar:
    st.caption(dense_status.device_line())

status = dense_status.default_dense_status()
if status is None:
    st.info("First start: fine-tuning the embedded default (MiniLM-L6 on rotten_tomatoes). "
            "This takes a few minutes on a CPU and is cached afterwards.")
    bar = st.progress(0.0, text="starting")
    status = dense_status.build_default_dense(lambda stage, done, total: bar.progress(
        min(done / max(total, 1), 1.0), text=f"{stage}: {done} / {total}"))
    bar.empty()
st.success(f"Dense default ready: {status.model} on {status.dataset}, test accuracy {status.accuracy:.1%} "
           f"(run `{status.run_id}`).")

st.subheader("Cached runs")
frame = list_runs_frame()
if frame.empty:
    st.write("No pruning runs yet. From a terminal: `robustprune prune --method krp --sparsity 0.5`.")
else:
    st.dataframe(frame, hide_index=True, use_container_width=True)
