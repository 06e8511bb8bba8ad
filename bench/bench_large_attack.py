"""A paper-sized attack run on the Attacks and Embeddings pages: their script time with the store's own attack and
with one of N examples (default 1000), as a ratio.

The papers attack a thousand test texts; the walkthrough's attacks have ten. Over a copy of the store (hard links,
its index copied: nothing is written into the store itself) this writes one more attack run: the records of the
store's attack with the most examples, repeated under new example indices until there are N (the same texts, so
the same kinds of change), on the same pruned run. Its projection and per-layer AUC, which the pages read, are
computed for real (the worker's jobs; tens of seconds on a CPU). Then each page's script runs with Streamlit's
``AppTest`` (no browser) on the original attack and on the large one, an example chosen: the first run (the first
look, which loads and caches the run), then the median of ``--repeats`` (moving about a cached run).

    python -m bench.bench_large_attack [--home DIR] [--examples 1000] [--repeats 5]
"""

from __future__ import annotations

import dataclasses
import statistics
import tempfile
import time
from pathlib import Path

from bench.bench_dashboard import PageVisit
from bench.bench_store_listing import copy_store, script_seconds, start_timing_scripts, store_copy_arguments
from robustprune.store import RunStore, run_id_for


def largest_sparse_attack(store: RunStore):
    """The attack run of a pruned model with the most examples (and its info), from the store's own runs."""
    from robustprune.figures.attacks import list_attack_runs

    attacks = [info for info in list_attack_runs(store) if info.attacked_model == "sparse"]
    if not attacks:
        raise SystemExit(f"no attack on a pruned run in {store.root}: attack one first (robustprune attack --run ID)")
    return max(attacks, key=lambda info: store.require(info.run_id).summary["summary"]["num_examples"])


def repeated_attack(store: RunStore, run_id: str, examples: int) -> str:
    """A new attack run of ``examples`` examples: ``run_id``'s records repeated under new indices."""
    from robustprune.attack.runs import AttackRun, save_attack_run
    from robustprune.figures.attacks import load_attack_result

    record = store.require(run_id)
    result = load_attack_result(record)
    count = len(result.examples)
    copies = -(-examples // count)

    def repeated(rows):
        return [dataclasses.replace(row, index=row.index + copy * count) for copy in range(copies) for row in rows
                if row.index + copy * count < examples]

    summary = result.summary
    kept = repeated(result.examples)
    counts = {status: sum(example.result == status for example in kept)
              for status in ("succeeded", "failed", "skipped")}
    large = dataclasses.replace(
        result, summary=dataclasses.replace(summary, num_examples=len(kept), successful_attacks=counts["succeeded"],
                                            failed_attacks=counts["failed"], skipped_attacks=counts["skipped"]),
        examples=kept, layer_similarities=repeated(result.layer_similarities),
        word_similarities=repeated(result.word_similarities), transfer_examples=repeated(result.transfer_examples))
    target = store.require(record.parent)
    key = {**record.key, "bench_examples": examples}
    run = AttackRun(run_id_for("attack", key), target.run_id, target.parent, target.model, target.dataset,
                    target.method, target.summary["sparsity"], large)
    save_attack_run(store, key, run)
    return run.run_id


def main() -> None:
    parser = store_copy_arguments(__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=1000, help="examples of the large attack (default 1000)")
    args = parser.parse_args()
    start_timing_scripts()
    from robustprune.attack.layer_auc import ensure_layer_auc
    from robustprune.attack.projection import ensure_projection

    source = RunStore(args.home).root
    with tempfile.TemporaryDirectory(prefix=".bench-large-", dir=source.parent) as scratch:
        root = Path(scratch) / "store"
        copy_store(source, root)
        store = RunStore(root)
        original = largest_sparse_attack(store)
        large = repeated_attack(store, original.run_id, args.examples)
        computed = {}
        for run_id in (original.run_id, large):
            start = time.perf_counter()
            ensure_projection(run_id, store)
            ensure_layer_auc(run_id, store)
            computed[run_id] = time.perf_counter() - start
        times = {}
        for run_id in (original.run_id, large):
            for page in ("attacks", "embeddings"):
                visit = PageVisit(page, f"/{page}", {"run": original.target_run_id, "attack": run_id, "example": "1"},
                                  "", 0)
                first = script_seconds(root, visit)
                times[run_id, page] = first, statistics.median(script_seconds(root, visit) for _ in range(args.repeats))
        sizes = {run_id: store.require(run_id).summary["summary"]["num_examples"]
                 for run_id in (original.run_id, large)}

    print(f"store {source}: its attack {original.run_id} ({sizes[original.run_id]} examples) and one of "
          f"{sizes[large]} examples (its records repeated); each page's script run (AppTest, no browser), example 1 "
          f"chosen: the first run, then the median of {args.repeats}")
    print(f"{'page':<12} {'as is':>9} {f'{sizes[large]} examples':>15} {'x as is':>8}   {'first run':>10} "
          f"{'first, large':>13}")
    for page in ("attacks", "embeddings"):
        (first_small, small), (first_large, large_seconds) = times[original.run_id, page], times[large, page]
        print(f"{page.title():<12} {small * 1000:>6.0f} ms {large_seconds * 1000:>12.0f} ms "
              f"{large_seconds / small:>8.2f}   {first_small * 1000:>7.0f} ms {first_large * 1000:>10.0f} ms")
    print(f"projection and per-layer AUC computed in {computed[original.run_id]:.0f} s and {computed[large]:.0f} s")


if __name__ == "__main__":
    main()
