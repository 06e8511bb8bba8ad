"""The robustness frontier: up to which sparsity does a method keep the dense start's robustness?

``run_frontier(FrontierRequest(...))`` probes the paper's levels, then bisects where the
verdict changes (``search.py``), every probe an ordinary cached prune + attack run planned
through the sweep (``run.py``), each judged kept / lost / undecided against the dense start
on the same sentences with a paired interval (``verdict.py``), and answers in one line with
its evidence (``answer.py``). The CLI's ``frontier`` command calls it.
"""

from robustprune.frontier.answer import FrontierAnswer  # noqa: F401
from robustprune.requests.frontier import PAPER_LEVELS, FrontierRequest  # noqa: F401
from robustprune.frontier.run import FrontierResult, run_frontier  # noqa: F401
