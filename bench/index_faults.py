"""Fault injection over the run index: lose ``index.sqlite`` in every way a user or a crash can, while a worker and a
page are running, and check that no finished run is lost.

    python -m bench.index_faults [--rounds 20] [--seed 0] [--out bench/results/index-faults-cpu.md]

In a fresh temporary ``$ROBUSTPRUNE_HOME``: the tiny random BERT and CSV of ``bench.fault_injection``, a fine-tune,
a krp run and an attack on it. A ``robustprune worker`` runs throughout, and so does a stand-in page: a process
that lists the runs and the job table every 0.1 s, as the Runs page does, and logs any error. Each round:

1. queues a prune job (a new sparsity each round) for the worker, so that the index is written while it breaks;
2. breaks the index one way, chosen at random: emptied (``truncate -s 0``), deleted (``index.sqlite*``, as a user
   cleaning up would), truncated at a random offset, overwritten with 40 KiB of random bytes, or its database
   deleted with its ``-wal`` left behind;
3. checks, from a new process (``robustprune runs --json``), that every run finished before the round is listed
   and verifies (SHA-256), that the worker and the page are still running, and that no run folder was deleted.

Prints (and writes to ``--out``) one line per round and the totals; exits 1 when a round lost anything.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path

FAULTS = ("emptied", "deleted", "truncated", "garbage", "wal-without-database")
PAGE = """
import sys, time, traceback
from pathlib import Path
from robustprune.jobs import JobQueue
from robustprune.store import RunStore
log, stop = Path(sys.argv[1]), Path(sys.argv[2])
while not stop.exists():
    try:
        store = RunStore()
        listed = len(store.list())
        JobQueue(store).list()
    except Exception as error:
        with log.open("a") as handle:
            handle.write(f"{type(error).__name__}: {error}\\n")
    time.sleep(0.1)
"""


def break_index(root: Path, fault: str, rng: random.Random) -> str:
    index = root / "index.sqlite"
    if fault == "emptied":
        os.truncate(index, 0)
        return "emptied"
    if fault == "deleted":
        for path in root.glob("index.sqlite*"):
            path.unlink(missing_ok=True)
        return "deleted with its -wal and -shm"
    if fault == "truncated":
        offset = rng.randrange(max(index.stat().st_size, 1))
        os.truncate(index, offset)
        return f"truncated at byte {offset:,}"
    if fault == "garbage":
        index.write_bytes(rng.randbytes(40960))
        return "overwritten with 40 KiB of random bytes"
    wal = root / "index.sqlite-wal"
    kept = wal.read_bytes() if wal.exists() else b""
    index.unlink()
    wal.write_bytes(kept)
    return f"database deleted, its -wal ({len(kept):,} bytes) left"


def listed_runs(home: Path) -> tuple[dict[str, str | None], str]:
    """Run id -> damage of every run ``robustprune runs --verify --json`` lists, and its stderr's last line."""
    result = subprocess.run([sys.executable, "-m", "robustprune", "runs", "--verify", "--json"], capture_output=True,
                            text=True, env={**os.environ, "ROBUSTPRUNE_HOME": str(home)}, timeout=300)
    if result.returncode != 0:
        return {}, f"exit {result.returncode}: {result.stderr.strip().splitlines()[-1:]}"
    runs = json.loads(result.stdout)["runs"]
    said = result.stderr.strip().splitlines()
    return {run["run_id"]: run["damage"] for run in runs}, said[-1] if said else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="also write the report (Markdown) here")
    args = parser.parse_args(argv)

    root = Path(tempfile.mkdtemp(prefix="robustprune-index-faults-"))
    home = root / "home"
    os.environ["ROBUSTPRUNE_HOME"] = str(home)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from bench.fault_injection import setup
    from robustprune.attack import AttackConfig
    from robustprune.attack.runs import attack
    from robustprune.jobs import JobQueue
    from robustprune.pipeline import prune
    from robustprune.prune import PruneConfig

    model_dir, csv = setup(root)
    target = prune(PruneConfig("krp", 0.5, calibration=32, heldout=16), model_dir, csv, "cpu").run_id
    attack(target, AttackConfig(recipe="textbugger", num_examples=4), model=model_dir, dataset=csv, device="cpu")
    common = {"model": model_dir, "dataset": csv, "device": "cpu", "finetune": {"epochs": 1.0}}
    log, stop = root / "page-errors.log", root / "stop"
    worker = subprocess.Popen([sys.executable, "-m", "robustprune.cli", "worker"], stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    page = subprocess.Popen([sys.executable, "-c", PAGE, str(log), str(stop)], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rng = random.Random(args.seed)
    lines = [f"# Fault injection over the run index ({args.rounds} rounds, seed {args.seed})", "",
             f"`python -m bench.index_faults --rounds {args.rounds} --seed {args.seed}` on {platform.machine()} "
             f"({os.cpu_count()} CPUs, shared with other work): tiny random BERT, 256-row CSV; a worker computing a "
             "queued prune job and a stand-in page listing the runs every 0.1 s run throughout.", "",
             "| round | the index | runs before | listed after, intact | what the CLI said | worker, page |",
             "|---|---|---|---|---|---|"]
    print("\n".join(lines), flush=True)
    kept = 0
    try:
        for number in range(args.rounds):
            before, _ = listed_runs(home)
            folders_before = {path.name for path in (home / "runs").iterdir() if not path.name.startswith(".")}
            JobQueue().submit("prune", {**common, "prune": {"method": "magnitude", "sparsity": 0.3 + number / 100,
                                                            "calibration": 32, "heldout": 16}})
            time.sleep(rng.uniform(0.0, 2.0))  # somewhere in the job: loading, pruning or writing
            what = break_index(home, rng.choice(FAULTS), rng)
            time.sleep(0.5)
            after, said = listed_runs(home)
            intact = [run_id for run_id in before if run_id in after and after[run_id] is None]
            folders_after = {path.name for path in (home / "runs").iterdir() if not path.name.startswith(".")}
            alive = worker.poll() is None and page.poll() is None
            ok = len(intact) == len(before) and folders_before <= folders_after and alive
            kept += ok
            line = (f"| {number + 1} | {what} | {len(before)} | {len(intact)}"
                    f"{'' if folders_before <= folders_after else ' (FOLDERS DELETED)'} | {said or '(nothing)'} | "
                    f"{'running' if alive else 'STOPPED'} |")
            lines.append(line)
            print(line, flush=True)
    finally:
        stop.touch()
        worker.kill()
        page.wait(timeout=30)
    errors = log.read_text().splitlines() if log.exists() else []
    total = ["", f"Every run finished before the round still listed and intact after {kept} of {args.rounds} rounds; "
                 f"the stand-in page met {len(errors)} errors"
                 + (f" (first: {errors[0]})" if errors else "") + "."]
    lines += total
    print("\n".join(total))
    if args.out:
        Path(args.out).write_text("\n".join(lines) + "\n")
    if kept == args.rounds and not errors:
        shutil.rmtree(root, ignore_errors=True)
        return 0
    print(f"(the store is kept for inspection in {root})")
    return 1


if __name__ == "__main__":
    sys.exit(main())
