"""Fault injection: ``kill -9`` the worker at random points of a tiny prune and a tiny attack, then check the store.

    python -m bench.fault_injection [--kills 20] [--seed 0] [--out bench/results/fault-injection-cpu.md]

In a fresh temporary ``$ROBUSTPRUNE_HOME``: a tiny random BERT (3 layers, hidden 64) saved as a
local model folder and a 256-row CSV. The dense fine-tune and the attacked pruning run are made
first and kept; one unkilled round of each job records its timeline in a worker: the progress
reports (stage, done / total) and when each came, which cut the run into segments (start-up
before the first report, one per report, and the last: evaluation and the store's write).
Then, alternately for a prune job (krp at 60%, 32 calibration texts) and an attack job
(TextBugger, 4 examples, on the krp 50% run), each round:

1. submits the job, starts ``robustprune worker``, picks a segment uniformly at random, waits
   until the job has reached it, then a random time uniform in the segment's length, and kills
   the worker with SIGKILL (a kill can still come after the job finished: that is reported);
2. checks the store: ``PRAGMA integrity_check`` says ok; every run the store lists (damaged ones
   included) has a manifest and matches it, SHA-256 included (nothing half-written is listed);
   and notes what the kill left on disk that is not listed (a partial folder: killed mid-write;
   a run folder without its index row: killed between the rename and the insert);
3. starts a new worker loop (``JobQueue.work(once=True)``), which must reap the killed job on
   start, then retries: submits the job again and runs it: the job ends done and its run verifies;
4. checks that nothing is left on disk but runs, and deletes the job's run, so that the next
   round computes it again.

Prints (and writes to ``--out``) one line per round (the stage the job was in when killed) and the
totals.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path


def setup(root: Path) -> tuple[str, str]:
    """A tiny random BERT folder and a 256-row sentiment CSV under ``root``."""
    import pandas as pd
    from transformers import BertTokenizerFast

    from robustprune.models.registry import embedded_model_dir
    from tests.conftest import SENTENCES, tiny_bert

    tokenizer = BertTokenizerFast.from_pretrained(str(embedded_model_dir()))
    model_dir = root / "tiny-bert"
    tiny_bert(tokenizer).save_pretrained(model_dir)
    tokenizer.save_pretrained(model_dir)
    positive = {"great", "fine", "superb", "moving"}
    rows = [{"text": sentence, "label": int(sentence.split()[3] in positive)} for sentence in SENTENCES]
    csv = root / "reviews.csv"
    pd.DataFrame(rows * 4).to_csv(csv, index=False)
    return str(model_dir), str(csv)


def job_row(store, job_id: str) -> tuple:
    with sqlite3.connect(store.root / "index.sqlite") as connection:
        return connection.execute("SELECT status, stage, done, total FROM jobs WHERE job_id = ?", (job_id,)).fetchone()


def start_worker() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "robustprune.cli", "worker"], env=os.environ.copy(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)


def wait_running(store, job_id: str, timeout: float = 300.0) -> float:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if job_row(store, job_id)[0] != "queued":
            return time.time()
        time.sleep(0.05)
    raise RuntimeError(f"job {job_id} was not claimed within {timeout:.0f} s")


def progress_key(row: tuple, stages: list[str]) -> tuple[int, float]:
    """How far a job is, comparable across runs: (stage number in first-seen order, fraction of it done)."""
    status, stage, done, total = row
    if status in ("done", "failed"):
        return (len(stages) + 1, 0.0)
    if not stage:
        return (0, 0.0)
    if stage not in stages:
        stages.append(stage)
    return (stages.index(stage) + 1, done / total if total else 0.0)


def timeline(queue, kind: str, params: dict, stages: list[str]) -> list[tuple[float, tuple[int, float]]]:
    """One unkilled round: the job's progress as a worker reports it, (seconds since its claim, key) at each
    change, ending with done. Its segments are where the kills are aimed."""
    job = queue.submit(kind, params)
    worker = start_worker()
    try:
        started = wait_running(queue.store, job.job_id)
        events = [(0.0, (0, 0.0))]
        while True:
            row = job_row(queue.store, job.job_id)
            key = progress_key(row, stages)
            if key != events[-1][1]:
                events.append((time.time() - started, key))
            if row[0] in ("done", "failed"):
                break
            time.sleep(0.01)
    finally:
        worker.kill()
        worker.wait()
    finished = queue.get(job.job_id)
    if finished.status != "done":
        raise RuntimeError(f"the unkilled {kind} job failed: {finished.error}")
    queue.store.delete(finished.run_id)
    return events


def check_store(store) -> list[str]:
    """What is wrong with the store after a kill: its SQLite file, and any listed run that is not whole."""
    from robustprune.manifest import MANIFEST

    problems = []
    with sqlite3.connect(store.root / "index.sqlite") as connection:
        verdict = connection.execute("PRAGMA integrity_check").fetchone()[0]
    if verdict != "ok":
        problems.append(f"integrity_check: {verdict}")
    for record in store.list(include_damaged=True):
        damage = record.damage or store.damage(record.run_id, verify=True)
        if damage or not (record.directory / MANIFEST).is_file():
            problems.append(f"{record.run_id} listed but not whole: {damage or 'no manifest'}")
    return problems


def kill_round(queue, kind: str, params: dict, events: list, stages: list[str], rng: random.Random) -> dict:
    """Kill a worker at a random point of one segment (between two progress reports, or after the last one: the
    evaluation and the write) of the job, chosen uniformly; then check, reap, retry."""
    segment = rng.randrange(len(events) - 1)
    (start, target), (end, _) = events[segment], events[segment + 1]
    job = queue.submit(kind, params)
    worker = start_worker()
    wait_running(queue.store, job.job_id)
    while progress_key(job_row(queue.store, job.job_id), stages) < target:
        time.sleep(0.01)
    time.sleep(rng.uniform(0.0, end - start))
    _, stage, done, total = job_row(queue.store, job.job_id)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    status = job_row(queue.store, job.job_id)[0]  # read after the kill: it may have finished just before
    killed_at = ("after it finished" if status == "done" else
                 f"{stage} {done}/{total}" + (" or later (finishing, writing)" if done == total else "") if stage
                 else "start-up (loading)")
    problems = check_store(queue.store)
    left = leftovers(queue.store)
    queue.work(once=True)  # a new worker: on start it reaps the killed worker's job (nothing is queued)
    if status != "done" and job_row(queue.store, job.job_id)[0] != "failed":
        problems.append(f"not reaped: {job_row(queue.store, job.job_id)[0]}")
    retried = queue.submit(kind, params)  # Retry
    if retried.status != "done":
        queue.work(once=True)
    finished = queue.get(job.job_id)
    retry_ok = finished.status == "done" and queue.store.damage(finished.run_id, verify=True) is None
    if not retry_ok:
        problems.append(f"retry: {finished.status} {finished.error or ''}".strip())
    after = leftovers(queue.store)  # a dead writer's partial folder: removed by the new worker; an unindexed run
    # folder: replaced by the retry's write
    if finished.run_id:
        queue.store.delete(finished.run_id)
    return {"kind": kind, "killed_at": killed_at, "problems": problems, "retry_ok": retry_ok, "after": after,
            "left": left}


def leftovers(store) -> str:
    """What a kill left on disk that is not a run: partial folders (killed mid-write), folders without an index
    row (killed between the rename and the index insert). Neither is ever listed."""
    with sqlite3.connect(store.root / "index.sqlite") as connection:
        indexed = {row[0] for row in connection.execute("SELECT run_id FROM runs")}
    partial = sum(1 for folder in store.runs_dir.glob(".partial-*"))
    unindexed = sum(1 for folder in store.runs_dir.iterdir() if not folder.name.startswith(".")
                    and folder.name not in indexed)
    parts = [f"{partial} partial folder(s)" if partial else "", f"{unindexed} unindexed folder(s)" if unindexed else ""]
    return ", ".join(part for part in parts if part) or "nothing"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="also write the report (Markdown) here")
    args = parser.parse_args(argv)

    root = Path(tempfile.mkdtemp(prefix="robustprune-faults-"))
    os.environ["ROBUSTPRUNE_HOME"] = str(root / "home")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from robustprune.attack import AttackConfig
    from robustprune.jobs import JobQueue
    from robustprune.pipeline import prune
    from robustprune.prune import PruneConfig

    model_dir, csv = setup(root)
    common = {"model": model_dir, "dataset": csv, "device": "cpu", "finetune": {"epochs": 1.0}}
    target = prune(PruneConfig("krp", 0.5, calibration=32, heldout=16), model_dir, csv, "cpu").run_id
    jobs = {"prune": {**common, "prune": {"method": "krp", "sparsity": 0.6, "calibration": 32, "heldout": 16}},
            "attack": {**common, "target": target,
                       "attack": asdict(AttackConfig(recipe="textbugger", num_examples=4))}}
    queue = JobQueue()
    stages = {kind: [] for kind in jobs}
    events = {kind: timeline(queue, kind, params, stages[kind]) for kind, params in jobs.items()}
    rng = random.Random(args.seed)
    lines = [f"# Fault injection ({args.kills} kills, seed {args.seed})", "",
             f"`python -m bench.fault_injection --kills {args.kills} --seed {args.seed}` on "
             f"{platform.machine()} ({os.cpu_count()} CPUs, shared with other work); tiny random BERT, 256-row CSV. "
             f"An unkilled run in a worker: prune {events['prune'][-1][0]:.1f} s in {len(events['prune']) - 1} "
             f"segments, attack {events['attack'][-1][0]:.1f} s in {len(events['attack']) - 1} segments (between "
             "progress reports); each kill falls in a segment chosen uniformly, at a uniform time in it.", "",
             "| round | job | killed during (stage done/total) | left on disk (never listed) | store after the kill "
             "| retry |", "|---|---|---|---|---|---|"]
    print("\n".join(lines), flush=True)
    results = []
    for number in range(args.kills):
        kind = ("prune", "attack")[number % 2]
        result = kill_round(queue, kind, jobs[kind], events[kind], stages[kind], rng)
        results.append(result)
        line = (f"| {number + 1} | {kind} | {result['killed_at']} | {result['left']} | "
                f"{'; '.join(p for p in result['problems'] if not p.startswith('retry')) or 'ok'} | "
                f"{'done, verified' if result['retry_ok'] else 'FAILED'} |")
        lines.append(line)
        print(line, flush=True)
    clean = sum(not result["problems"] for result in results)
    retried = sum(result["retry_ok"] for result in results)
    before_finish = sum(result["killed_at"] != "after it finished" for result in results)
    mid_write = sum(result["left"] != "nothing" for result in results)
    total = ["", f"{args.kills} kills ({before_finish} before the job finished, {mid_write} during the store's write): "
                  f"the store passed every check after {clean} of {args.kills}, the retry succeeded {retried} of "
                  f"{args.kills} times; rounds with anything left on disk after the retry: "
                  f"{sum(result['after'] != 'nothing' for result in results)}."]
    lines += total
    print("\n".join(total))
    if args.out:
        Path(args.out).write_text("\n".join(lines) + "\n")
    if clean == retried == args.kills:
        shutil.rmtree(root, ignore_errors=True)
        return 0
    print(f"(the store is kept for inspection in {root})")
    return 1


if __name__ == "__main__":
    sys.exit(main())
