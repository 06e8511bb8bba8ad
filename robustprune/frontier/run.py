"""Run a frontier request: every probe an ordinary cached prune + attack run, planned by the sweep.

Each round asks every search (method × recipe) for its next sparsities and runs them with
``robustprune.sweep.run_sweep`` — in this process or on Ray (``make_executor``), cached as
every sweep cell is, resumed after a stop — then reads each probe's per-sentence outcomes
from the stored attack runs and judges it (``search.judge``). Searches that want the same
sparsities in a round (the paper's levels, always) share one sweep. A second identical
request finds every probe cached, and its searches, being deterministic, ask for the same
probes: it computes nothing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from robustprune.data import TaskData
from robustprune.frontier.answer import FrontierAnswer
from robustprune.frontier.search import FrontierSearch, ProbeOutcomes
from robustprune.store import RunStore
from robustprune.sweep.comparisons import OutcomeReader
from robustprune.sweep.spec import MethodVariant

if TYPE_CHECKING:  # the request runs this module's search (FrontierRequest.run)
    from robustprune.requests.frontier import FrontierRequest


@dataclass
class FrontierResult:
    request: FrontierRequest
    answers: list[FrontierAnswer]
    computed: int = 0  # runs computed by this call (the others were cached)
    probes: int = 0  # probed (method, recipe, sparsity) in all
    failed: list[dict] = field(default_factory=list)  # the runs that failed: their searches stopped there
    seconds: float = 0.0

    def lines(self) -> list[str]:
        return [answer.line() for answer in self.answers]

    def table(self) -> pd.DataFrame:
        return pd.concat([answer.table() for answer in self.answers], ignore_index=True) if self.answers else \
            pd.DataFrame()

    @property
    def run_id(self) -> str:
        """The stored answer's run (``save_frontier``)."""
        return self.request.run_id()

    def to_dict(self) -> dict:
        return {"run_id": self.run_id, "request": self.request.key(), "lines": self.lines(),
                "frontiers": [answer.to_dict() for answer in self.answers], "computed": self.computed,
                "probes": self.probes, "failed": self.failed, "seconds": self.seconds}


def sweep_batches(request: FrontierRequest, wanted: dict[tuple[str, str], list[float]]):
    """(sweep spec, the searches it serves) per batch: searches wanting the same sparsities share one sweep when
    their methods × recipes are exactly those searches (the first round), else each has its own."""
    groups: dict[tuple[float, ...], list[tuple[str, str]]] = {}
    for key, sparsities in wanted.items():
        groups.setdefault(tuple(sparsities), []).append(key)
    for sparsities, keys in groups.items():
        methods = tuple(dict.fromkeys(method for method, _ in keys))
        recipes = tuple(dict.fromkeys(recipe for _, recipe in keys))
        if len(keys) == len(methods) * len(recipes):
            yield request.probe_spec(sparsities, methods, recipes), keys
        else:
            for method, recipe in keys:
                yield request.probe_spec(sparsities, (method,), (recipe,)), [(method, recipe)]


def probe_outcomes(table: pd.DataFrame, key: tuple[str, str], sparsities, outcomes: OutcomeReader
                   ) -> dict[float, ProbeOutcomes]:
    """The probes of one search read off a sweep's table (one row per seed): (pruned, dense) outcomes per seed;
    a sparsity whose runs are missing (failed) is left out."""
    method, recipe = key
    label = MethodVariant.parse(method).label
    found = {}
    for sparsity in sparsities:
        rows = table[(table["method"] == label) & (table["recipe"] == recipe)
                     & ((table["sparsity"] - sparsity).abs() < 1e-9)]
        pairs = [(outcomes(row.attack_run_id), outcomes(row.dense_attack_run_id)) for row in rows.itertuples()]
        if not pairs or any(pruned is None or dense is None for pruned, dense in pairs):
            continue
        collapsed = bool((rows["collapsed"] == True).any())  # noqa: E712 - None (unknown) is not True
        found[sparsity] = ProbeOutcomes(sparsity, pairs, collapsed=collapsed, run_ids=list(rows["attack_run_id"]))
    return found


def run_frontier(request: FrontierRequest, *, data: TaskData | None = None, store: RunStore | None = None,
                 executor=None, shard_size: int | None = None, events=None) -> FrontierResult:
    """The frontier of every method × recipe of ``request`` (validated before any work); ``events``: a callable
    giving a fresh ``SweepEvents`` per sweep (the CLI prints them)."""
    from robustprune.sweep import run_sweep, sweep_data
    from robustprune.sweep.local import LocalExecutor

    started = time.perf_counter()
    store = store or RunStore()
    data = data or sweep_data(request.sweep)
    request.validate(data)
    executor = executor or LocalExecutor(request.sweep.device)
    searches = {(method, recipe): FrontierSearch(request.levels, request.resolution, request.margin)
                for method in request.sweep.methods for recipe in request.sweep.recipes}
    stopped: set[tuple[str, str]] = set()
    outcomes = OutcomeReader(store)
    result = FrontierResult(request, [])
    dense_collapsed: dict[str, bool] = {}  # recipe -> whether a dense start collapsed (on its attacked sentences)
    settled: set[tuple[str, str]] = set()  # no frontier to look for: the dense start itself collapsed
    while wanted := {key: search.wanted() for key, search in searches.items() if key not in stopped | settled}:
        wanted = {key: sparsities for key, sparsities in wanted.items() if sparsities}
        if not wanted:
            break
        for spec, keys in sweep_batches(request, wanted):
            sweep = run_sweep(spec, data=data, store=store, executor=executor, shard_size=shard_size,
                              events=events() if events else None)
            result.computed += sweep.computed
            dense_rows = sweep.table[sweep.table["method"] == "dense"]
            for recipe, rows in dense_rows.groupby("recipe"):
                dense_collapsed[recipe] = bool((rows["collapsed"] == True).any())  # noqa: E712
            result.failed += [{"run_id": state.run_id, "label": state.label, "error": state.error}
                              for state in sweep.failures]
            for key in keys:
                found = probe_outcomes(sweep.table, key, wanted[key], outcomes)
                searches[key].record(found)
                result.probes += len(found)
                if len(found) < len(wanted[key]):
                    stopped.add(key)  # a probe failed: the search cannot go on soundly; its runs are cached
                if dense_collapsed.get(key[1]):
                    settled.add(key)
    for (method, recipe), search in searches.items():
        variant = MethodVariant.parse(method)
        result.answers.append(FrontierAnswer.of(search, variant.label, request.label(variant), recipe,
                                                request.sweep.num_examples, request.sweep.seeds,
                                                complete=(method, recipe) not in stopped,
                                                dense_collapsed=dense_collapsed.get(recipe, False)))
    result.seconds = time.perf_counter() - started
    save_frontier(store, result, data.name)
    return result


def save_frontier(store: RunStore, result: FrontierResult, dataset: str) -> None:
    """The answer as a run of kind ``frontier`` (its id ``request.run_id()``): what the Frontier page, the overview
    report and ``robustprune runs`` read. Asked again, the answer is judged again from the cached probes and
    written over the old one. ``dataset``: the data's name, as its probes' runs record it (``TaskData.name``: a
    local file's is "file:<name>"), so that the Overview finds the frontier beside their curves."""
    request = result.request
    with store.lock(result.run_id), store.write("frontier", request.key(), model=request.sweep.model,
                                                 dataset=dataset,
                                                 method=",".join(request.sweep.methods)) as writer:
        writer.summary.update(result.to_dict())


def load_frontier(record) -> list[FrontierAnswer]:
    """The answers a stored frontier run holds (``save_frontier``)."""
    return [FrontierAnswer.from_dict(answer) for answer in record.summary["frontiers"]]


__all__ = ["FrontierResult", "run_frontier", "save_frontier", "load_frontier", "sweep_batches", "probe_outcomes"]
