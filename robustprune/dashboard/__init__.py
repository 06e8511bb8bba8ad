"""Everything behind the Streamlit pages (``app.py``, ``pages/``); the pages only render.

One data module per page, returning frames, figures and records, never widgets:
``overview``, ``pruning``, ``attacks``, ``embeddings``, ``runs``. Beside them: ``choices``
(what can be picked, and what is wrong with a pick), ``sources`` (where a picked dataset
or model may be read from: never a server path taken from a URL), ``requests`` (a pick as
a job and the run id it will produce), ``job_progress`` (submit, find and describe jobs)
and ``dense_status``. Only ``cached`` (Streamlit caches over the run store) and ``widgets``
(pickers, live job progress, the frame of every page) import Streamlit. ``browser`` runs
the app and headless Chromium for the browser test and the page-load bench.
"""
