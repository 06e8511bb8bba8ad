"""What a store of a sweep's size costs each view: its script time over a run store as it is and with N more attack
runs (default 1000), as a ratio.

A sweep leaves hundreds of attack runs behind, and listing runs checks each one's files (``RunStore.list``): a view
that lists more runs than it shows slows down as the store grows. Each view of ``bench_dashboard`` (a cached run of
each page) and the Sweep page (its form as it opens, with its estimate) runs with Streamlit's ``AppTest`` (the page's script, no browser), first over a copy of the store, then
over the same copy with N attack runs added: hard links of one of the store's attack runs under other ids (the same
files, other keys, older than every real run, so each view shows what it showed before). The copy is made of hard
links too, its index copied: nothing is written into the store itself. Medians of ``--repeats`` runs after a first
run of each view (the first look after the store changed: its listings and figures are cached from then on).

It also times ``RunStore.list()`` over the larger store against the floor of what it must do, a bare ``os.stat``
of every file of every run, in the same process.

    python -m bench.bench_store_listing [--home DIR] [--runs 1000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from bench.bench_dashboard import PageVisit, cached_visits
from robustprune.store import RunStore, run_id_for

APP = Path(__file__).resolve().parents[1] / "app.py"


def link_or_copy(source: str, target: str) -> None:
    """A hard link (no bytes copied), or a copy where the two paths are on different file systems."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def copy_store(source: Path, target: Path) -> None:
    """A copy of the store at ``source``: hard links for the runs and data, a real copy of the index."""
    shutil.copytree(source, target, copy_function=link_or_copy,
                    ignore=shutil.ignore_patterns("index.sqlite*", "locks", "worker.log"))
    with sqlite3.connect(source / "index.sqlite") as original, sqlite3.connect(target / "index.sqlite") as copy:
        original.backup(copy)  # the index with what its write-ahead log holds


def add_attack_runs(root: Path, count: int) -> str:
    """``count`` more attack runs in the store at ``root``: hard links of its newest attack run under other ids,
    each older than every run there. Returns the run copied."""
    with sqlite3.connect(root / "index.sqlite") as index:
        row = index.execute("SELECT * FROM runs WHERE kind = 'attack' ORDER BY created DESC LIMIT 1").fetchone()
        if row is None:
            raise SystemExit(f"no attack run in {root}: attack one first (robustprune attack --run ID)")
        oldest = index.execute("SELECT MIN(created) FROM runs").fetchone()[0]
        run_id, kind, model, dataset, method, parent, key_json, summary_json, _ = row
        rows = []
        for copy in range(count):
            key = {**json.loads(key_json), "bench_copy": copy}
            copy_id = run_id_for(kind, key)
            shutil.copytree(root / "runs" / run_id, root / "runs" / copy_id, copy_function=link_or_copy)
            summary = {**json.loads(summary_json), "run_id": copy_id}
            rows.append((copy_id, kind, model, dataset, method, parent, json.dumps(key, sort_keys=True),
                         json.dumps(summary), oldest - 1 - copy))
        index.executemany("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return run_id


def page_script(visit: PageVisit) -> str:
    return "pages/overview.py" if visit.path == "/" else f"pages{visit.path}.py"


SCRIPT_RUNS: list[float] = []  # seconds of each run of the app's script in this process (``time_script_runs``)


def time_script_runs() -> None:
    """Time every run of the app's script: ``AppTest`` runs it in this process, through ``navigation.run_app``.
    Its own work around a run (building the session, reading the elements back) is left out."""
    from robustprune.dashboard import navigation

    run_app = navigation.run_app

    def timed() -> None:
        start = time.perf_counter()
        try:
            run_app()
        finally:
            SCRIPT_RUNS.append(time.perf_counter() - start)

    navigation.run_app = timed


def script_seconds(root: Path, visit: PageVisit) -> float:
    """The script time of the view in a new session over the store at ``root`` (its runs, when a page reruns
    itself on its first run, added up)."""
    from streamlit.testing.v1 import AppTest

    os.environ["ROBUSTPRUNE_HOME"] = str(root)
    app = AppTest.from_file(str(APP), default_timeout=300)
    app.switch_page(page_script(visit))
    app.query_params.update({name: str(value) for name, value in visit.query.items()})
    before = len(SCRIPT_RUNS)
    app.run()
    if app.exception:
        raise SystemExit(f"{visit.name} failed over {root}: {app.exception[0].value}")
    return sum(SCRIPT_RUNS[before:])


def view_times(root: Path, visits: list[PageVisit], repeats: int) -> dict[str, tuple[float, float]]:
    """(first run, median of the later runs) of each view's script, in seconds."""
    first = {visit.name: script_seconds(root, visit) for visit in visits}
    later = {visit.name: [] for visit in visits}
    for _ in range(repeats):
        for visit in visits:
            later[visit.name].append(script_seconds(root, visit))
    return {name: (first[name], statistics.median(times)) for name, times in later.items()}


def listing_against_stat_floor(root: Path, repeats: int) -> tuple[int, float, float]:
    """(runs listed, seconds of ``RunStore.list()``, seconds of a bare ``os.stat`` of every file those runs'
    manifests name), medians."""
    store = RunStore(root)
    records = store.list()
    files = [f"{record.directory}/{name}" for record in records
             for name in json.loads((record.directory / "manifest.json").read_text())["files"]]
    listing, floor = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        store.list()
        listing.append(time.perf_counter() - start)
        start = time.perf_counter()
        for path in files:
            os.stat(path)
        floor.append(time.perf_counter() - start)
    return len(records), statistics.median(listing), statistics.median(floor)


def store_copy_arguments(description: str) -> argparse.ArgumentParser:
    """The arguments of a bench over a copy of a store: ``--home`` (the store) and ``--repeats``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--home", default=os.environ.get("ROBUSTPRUNE_HOME"),
                        help="the run store to copy (default: $ROBUSTPRUNE_HOME or ~/.cache/robustprune)")
    parser.add_argument("--repeats", type=int, default=5, help="script runs of each view (default 5)")
    return parser


def start_timing_scripts() -> None:
    """Time the app's script runs in this process (``time_script_runs``), with no worker started by a page and
    Streamlit's warnings about running outside a server quiet."""
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    os.environ["ROBUSTPRUNE_NO_AUTOWORKER"] = "1"
    time_script_runs()


def main() -> None:
    parser = store_copy_arguments(__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000, help="attack runs to add (default 1000)")
    args = parser.parse_args()
    start_timing_scripts()
    source = RunStore(args.home).root
    # beside the store, on its file system: the copies are hard links
    with tempfile.TemporaryDirectory(prefix=".bench-store-", dir=source.parent) as scratch:
        plain, grown = Path(scratch) / "as-is", Path(scratch) / "grown"
        copy_store(source, plain)
        visits = cached_visits(RunStore(plain))  # (which may compute the Embeddings page's projection first)
        visits.append(PageVisit("Sweep", "/sweep", {}, "", 0))  # its form as it opens: the default model's grid
        copy_store(plain, grown)
        copied = add_attack_runs(grown, args.runs)
        count = RunStore(plain).count()
        as_is = view_times(plain, visits, args.repeats)
        with_more = view_times(grown, visits, args.repeats)
        listed, listing, floor = listing_against_stat_floor(grown, args.repeats)

    print(f"store {source} ({count} runs) and the same with {args.runs} more attack runs (copies of {copied}); "
          f"each view's script run (AppTest, no browser): the first run, then the median of {args.repeats}")
    print(f"{'view':<12} {'as is':>9} {f'+{args.runs} runs':>11} {'x as is':>8}   {'first run':>10} {'first +runs':>12}")
    for visit in visits:
        (first_plain, plain_seconds), (first_grown, grown_seconds) = as_is[visit.name], with_more[visit.name]
        print(f"{visit.name:<12} {plain_seconds * 1000:>6.0f} ms {grown_seconds * 1000:>8.0f} ms "
              f"{grown_seconds / plain_seconds:>8.2f}   {first_plain * 1000:>7.0f} ms {first_grown * 1000:>9.0f} ms")
    print(f"RunStore.list() of {listed} runs: {listing * 1000:.0f} ms ({listing / listed * 1e6:.0f} us a run); a bare "
          f"stat of every file they hold: {floor * 1000:.0f} ms ({floor / listed * 1e6:.0f} us a run), "
          f"x{listing / floor:.1f}")


if __name__ == "__main__":
    main()
