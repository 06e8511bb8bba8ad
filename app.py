"""robustprune dashboard: ``streamlit run app.py``.

The entry script only runs the navigation (``robustprune.dashboard.navigation``); each page
opens with ``widgets.page_frame()`` (page setup, the sidebar with the compute device, worker
and running jobs, and on the first start the dense default's fine-tuning job with live
progress), so that a page is complete however it is reached: through this navigation, or
directly on a fresh server. Pages render; the library computes; the worker process runs
every job.
"""

from robustprune.dashboard import navigation

navigation.run_app()
