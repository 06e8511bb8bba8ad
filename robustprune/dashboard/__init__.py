"""Everything behind the Streamlit pages (``app.py``, ``pages/``) but the frames and figures they draw.

The frames, plotly figures and HTML marks of the runs are ``robustprune.figures`` (the report draws them too).
Here: ``choices`` (what can be picked, and what is wrong with a pick), ``sources`` (where a picked dataset or
model may be read from: never a server path taken from a URL), ``requests`` (a pick as a request, the job it
becomes and the run id it will produce), ``job_progress`` (submit, find and describe jobs), ``dense_status``,
``prune_form``, ``texts_attack``, ``links`` and ``sweep`` (page data, no Streamlit), and the modules that draw
with Streamlit: ``cached`` (Streamlit caches over the run store), ``widgets`` (pickers, live job progress, the
frame of every page), ``charts``, ``navigation``, ``job_widgets``, ``link_checks``, ``prune_views``,
``attack_form``, ``attack_picker`` and ``texts_form``. ``browser`` runs the app and headless Chromium for the
browser test and the page-load bench.
"""
