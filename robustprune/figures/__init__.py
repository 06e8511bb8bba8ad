"""What the pages and the report show of the runs: pandas frames, plotly figures and HTML marks, with no Streamlit.

One module per subject: ``overview`` (the trade-off curves of every run), ``pruning`` (a pruning run's
layers), ``structured`` (a structured run's kept heads and neurons), ``attacks`` (an attack run's examples and
transfers), ``marks`` (the changed words of an example, as HTML), ``explanation`` (attributions and per-layer
cosine), ``embeddings`` (per-layer AUC and 2-D projections), ``runs`` (listing and comparing runs), and
``static_charts`` (the figures' template, and the static mode browser tests and the report use). The pages
(``robustprune.dashboard``, ``pages/``) draw them with Streamlit; the report (``robustprune.report``) writes
them into one HTML file. A test keeps Streamlit out of this package.
"""
