"""A longer attack starts from a shorter one: the search outcomes of a cached run on the first m texts are the
first m outcomes of the same attack on n > m texts.

Example i is searched on its own, seeded from (seed, i) (``ATTACK_VERSION`` 2), so its outcome does not depend on
how many texts are attacked after it, nor on which examples share a batch (a sharded run is the unsharded one,
``tests/attack/test_attack_runs.py``). Asking for 400 sentences after 200 (a frontier's "undecided, about 550
sentences would decide") then searches only the 200 new ones; the finished run is the one a fresh request makes
(same id, same examples), and says which run it started from.

An attack run keeps its search outcomes (``OUTCOMES_FILE``, and the search's cost in its summary's ``search``) for
this; runs finished before it did are not reused.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from robustprune.attack.records import SearchOutcome
from robustprune.attack.search import SearchRun
from robustprune.store import RunStore, run_id_for

OUTCOMES_FILE = "outcomes.parquet"
DEVICES_JOINED = " + "  # a search merged from parts on several devices names each: "cuda (…) + cpu"
SEARCH_FIELDS = ("recipe", "recipe_label", "substitutions", "wall_seconds", "queries_computed", "queries_cached",
                 "classifier_seconds", "device", "parts")


def write_outcomes(directory, outcomes: list[SearchOutcome]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = {f.name: [getattr(outcome, f.name) for outcome in outcomes] for f in fields(SearchOutcome)}
    pq.write_table(pa.table(columns), directory / OUTCOMES_FILE)


def read_outcomes(directory) -> list[SearchOutcome]:
    import pyarrow.parquet as pq

    return [SearchOutcome(**row) for row in pq.read_table(directory / OUTCOMES_FILE).to_pylist()]


def search_fields(search: SearchRun) -> dict:
    """What a search was and cost, as a run's summary keeps it (``search_run`` reads it back)."""
    return {name: getattr(search, name) for name in SEARCH_FIELDS}


def search_run(fields_: dict, outcomes: list[SearchOutcome]) -> SearchRun:
    return SearchRun(outcomes=outcomes, **{name: fields_[name] for name in SEARCH_FIELDS if name != "parts"},
                     parts=fields_.get("parts", {}))


@dataclass
class Prefix:
    """A cached attack run on the first ``len(search.outcomes)`` texts of a longer one."""

    run_id: str
    search: SearchRun

    @property
    def count(self) -> int:
        return len(self.search.outcomes)

    def part(self, start: int, stop: int) -> SearchRun:
        """Its outcomes of examples [start, stop), with the search's cost prorated by the examples taken."""
        share = (stop - start) / self.count
        whole = self.search
        return SearchRun(whole.recipe, whole.recipe_label, whole.substitutions, whole.outcomes[start:stop],
                         whole.wall_seconds * share, round(whole.queries_computed * share),
                         round(whole.queries_cached * share), whole.classifier_seconds * share, whole.device,
                         whole.parts)


def with_examples(key: dict, count: int) -> dict:
    """The cache key of the same attack on the first ``count`` texts."""
    return {**key, "attack": {**key["attack"], "num_examples": count}}


def cached_prefix(store: RunStore, key: dict, count: int) -> Prefix | None:
    """The cached run of the same attack on the most texts fewer than ``count`` that kept its outcomes, or None."""
    for shorter in range(count - 1, 0, -1):
        run_id = run_id_for("attack", with_examples(key, shorter))
        record = store.get(run_id)
        if record is not None and "search" in record.summary and (record.directory / OUTCOMES_FILE).exists():
            outcomes = read_outcomes(record.directory)
            if len(outcomes) == shorter:
                return Prefix(run_id, search_run(record.summary["search"], outcomes))
    return None


def merged(parts: list[SearchRun]) -> SearchRun:
    """Searches of consecutive examples as one; searched on several devices (shards on a mixed Ray cluster, a
    prefix from another machine), it names each of them once, in the order they searched."""
    if len(parts) == 1:
        return parts[0]
    first = parts[0]
    return SearchRun(first.recipe, first.recipe_label, first.substitutions,
                     [outcome for part in parts for outcome in part.outcomes],
                     sum(part.wall_seconds for part in parts), sum(part.queries_computed for part in parts),
                     sum(part.queries_cached for part in parts), sum(part.classifier_seconds for part in parts),
                     DEVICES_JOINED.join(dict.fromkeys(part.device for part in parts)), first.parts)


__all__ = ["DEVICES_JOINED", "OUTCOMES_FILE", "Prefix", "cached_prefix", "merged", "read_outcomes", "search_fields",
           "search_run", "with_examples", "write_outcomes"]
