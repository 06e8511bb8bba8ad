"""A sweep serial (this process) vs on Ray (every core here), from the same empty stores: time and results.

    python -m bench.bench_sweep [--n 100] [--methods krp,sparsegpt,magnitude] [--sparsities 0.5,0.875]
                                [--recipes textfooler,textbugger] [--num-cpus 2] [--device cpu|cuda]
                                [--model minilm|bert-base-sized] [--output bench/results/sweep-cpu.md]

Both sides start from the same dense fine-tuned model (copied from the default cache, or
fine-tuned once first) and compute every pruning and attack run of the grid. Ray runs on
this machine inside a loopback-only network namespace (``robustprune.sweep.loopback``),
each task on one CPU; the results must be identical run by run. The report gives the
ratio, and the seconds of every attack shard, from which the time on N such nodes
follows (the grid's task seconds / N, plus the longest chain of dependent tasks).

``--model bert-base-sized`` is a randomly initialised BERT-base-sized classifier (its
accuracy means nothing, its cost is real): the grid for a GPU (``--device cuda``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import local_ray_env, machine_line

CHILD_FLAG = "--ray-child"


def spec_from(args):
    from robustprune.sweep import SweepSpec

    return SweepSpec(model=args.model_path, methods=tuple(args.methods.split(",")),
                     sparsities=tuple(float(s) for s in args.sparsities.split(",")),
                     recipes=tuple(args.recipes.split(",")), num_examples=args.n, device=args.device)


def bert_base_sized(folder: Path) -> str:
    """A random BERT-base-sized classifier with the MiniLM tokenizer, saved as a local model folder."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    from robustprune.models.registry import embedded_model_dir

    if not (folder / "config.json").exists():
        tokenizer = AutoTokenizer.from_pretrained(embedded_model_dir())
        torch.manual_seed(0)
        BertForSequenceClassification(BertConfig(vocab_size=tokenizer.vocab_size, num_labels=2)).save_pretrained(
            folder)
        tokenizer.save_pretrained(folder)
    return str(folder)


def seed_dense(spec, stores: list, device: str) -> str:
    """The grid's dense start in each store: copied from the default cache (fine-tuned there first if needed)."""
    from robustprune.pipeline import ensure_dense
    from robustprune.store import RunStore
    from robustprune.sweep import sweep_data
    from robustprune.sweep.bundles import export_run, import_run

    dense = ensure_dense(spec.model, sweep_data(spec), spec.finetune_config(), device, RunStore())
    bundle = export_run(RunStore(), dense.run_id)
    for store in stores:
        import_run(store, bundle)
    return dense.run_id


def comparable(table) -> list[tuple]:
    columns = ["method", "sparsity", "recipe", "succeeded", "failed", "skipped", "clean_accuracy",
               "accuracy_under_attack", "avg_queries", "model_run_id", "attack_run_id"]
    return [tuple(row) for row in table[columns].itertuples(index=False)]


def ray_child(args) -> None:
    """Inside the namespace: the same sweep on local Ray; a JSON report on stdout's last line."""
    from robustprune.store import RunStore
    from robustprune.sweep import run_sweep
    from robustprune.sweep.ray_executor import RayExecutor

    executor = RayExecutor("auto", device=args.device, num_cpus=args.num_cpus, node_ip_address="127.0.0.1")
    started = time.perf_counter()
    try:
        result = run_sweep(spec_from(args), store=RunStore(args.store), executor=executor)
    finally:
        executor.shutdown()
    print(json.dumps({"seconds": time.perf_counter() - started, "rows": comparable(result.table),
                      "task_seconds": executor.task_seconds, "failures": [s.label for s in result.failures],
                      "nodes": len(executor.nodes)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--methods", default="krp,sparsegpt,magnitude")
    parser.add_argument("--sparsities", default="0.5,0.875")
    parser.add_argument("--recipes", default="textfooler,textbugger")
    parser.add_argument("--num-cpus", type=int, default=os.cpu_count())
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--model", default="minilm", help="minilm (the default) or bert-base-sized")
    parser.add_argument("--work", default=None, help="folder for the two stores (default: a temporary one)")
    parser.add_argument("--output", default=None)
    parser.add_argument("--store", default=None, help=argparse.SUPPRESS)
    parser.add_argument(CHILD_FLAG, action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--model-path", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ray_child:
        ray_child(args)
        return

    from robustprune.store import RunStore
    from robustprune.sweep import run_sweep
    from robustprune.sweep.loopback import in_loopback_namespace, loopback_unavailable
    from robustprune.sweep.ray_executor import DEFAULT_RAY_SHARD_SIZE

    work = Path(args.work or tempfile.mkdtemp(prefix="bench-sweep-"))
    work.mkdir(parents=True, exist_ok=True)
    args.model_path = bert_base_sized(work / "bert-base-sized") if args.model == "bert-base-sized" else args.model
    spec = spec_from(args)
    serial_store, ray_store = RunStore(work / "serial"), RunStore(work / "ray")
    seed_dense(spec, [serial_store, ray_store], args.device)

    started = time.perf_counter()
    serial = run_sweep(spec, store=serial_store)
    serial_seconds = time.perf_counter() - started
    print(f"serial: {serial_seconds:.0f} s", flush=True)

    if (reason := loopback_unavailable()) is not None:
        sys.exit(f"Ray needs a loopback-only network namespace here: {reason}")
    env = local_ray_env(work)
    child = [sys.executable, "-m", "bench.bench_sweep", CHILD_FLAG, "--store", str(ray_store.root),
             "--model-path", args.model_path, "--n", str(args.n), "--methods", args.methods, "--sparsities",
             args.sparsities, "--recipes", args.recipes, "--num-cpus", str(args.num_cpus), "--device", args.device]
    completed = subprocess.run(in_loopback_namespace(child), env=env, capture_output=True, text=True,
                               cwd=Path(__file__).resolve().parents[1])
    if completed.returncode != 0:
        sys.exit(f"the Ray side failed:\n{completed.stderr[-3000:]}")
    ray = json.loads(completed.stdout.strip().splitlines()[-1])
    ray_rows, serial_rows = [tuple(row) for row in ray["rows"]], comparable(serial.table)
    identical = ray_rows == serial_rows
    differing = [f"{row[0]} {row[1]:g} {row[2]}" for row, other in zip(serial_rows, ray_rows) if row != other]

    shard_seconds: dict[str, list[float]] = {}
    for kind, seconds in ray["task_seconds"]:
        shard_seconds.setdefault(kind, []).append(seconds)
    task_total = sum(seconds for _, seconds in ray["task_seconds"])
    from robustprune.device import resolve_device

    lines = [f"Sweep: {args.model}, {args.methods} x {args.sparsities} x {args.recipes}, {args.n} examples per attack "
             f"(dense start cached on both sides); {machine_line(resolve_device(args.device))}", "",
             "| executor | seconds | × serial | results |", "|---|---|---|---|",
             f"| this process (serial) | {serial_seconds:.0f} | 1.00 | |",
             f"| Ray, {args.num_cpus} CPUs on this machine (1 per task) | {ray['seconds']:.0f} | "
             f"{serial_seconds / ray['seconds']:.2f} | {'identical run by run' if identical else 'DIFFERENT'} |", "",
             f"Ray tasks ({len(ray['task_seconds'])}, {task_total:.0f} task-seconds in all; attack shards of "
             f"{DEFAULT_RAY_SHARD_SIZE} examples):", "",
             "| task | count | median seconds | max seconds |", "|---|---|---|---|"]
    for kind, values in sorted(shard_seconds.items()):
        lines.append(f"| {kind} | {len(values)} | {statistics.median(values):.1f} | {max(values):.1f} |")
    if not identical:
        lines += ["", f"Rows that differ: {', '.join(differing) or 'the tables differ in length'}."]
    lines += ["", f"On N such single-CPU workers the grid's tasks take about {task_total:.0f} / N seconds, "
                  "bounded below by its longest chain (a pruning run, then one attack shard, then the merge)."]
    report = "\n".join(lines)
    print(report)
    if args.output:
        Path(args.output).write_text(report + "\n")


if __name__ == "__main__":
    main()
