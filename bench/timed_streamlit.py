"""``streamlit`` with each script run timed: ``python bench/timed_streamlit.py run app.py ...``.

Appends one line per run, "<page script hash> <seconds>", to the file named by ``$SCRIPT_TIMES``: the server's own
part of a click (the page's Python, from the rerun request to the script's end), apart from the browser's.
"""

import os
import sys
import time

from streamlit.runtime.scriptrunner import script_runner
from streamlit.web.cli import main

untimed_run = script_runner.ScriptRunner._run_script


def timed_run(self, rerun_data) -> None:
    start = time.perf_counter()
    try:
        untimed_run(self, rerun_data)
    finally:
        with open(os.environ["SCRIPT_TIMES"], "a") as times:
            times.write(f"{rerun_data.page_script_hash} {time.perf_counter() - start:.5f}\n")


if __name__ == "__main__":
    script_runner.ScriptRunner._run_script = timed_run
    sys.argv = ["streamlit", *sys.argv[1:]]
    main()
