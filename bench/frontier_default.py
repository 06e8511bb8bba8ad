"""The robustness frontier on the embedded default, as the README reports it: ``robustprune frontier`` itself.

    python -m bench.frontier_default [--method krp] [--recipe textbugger] [-n 100] [--out bench/results/...]

Runs the CLI's ``frontier`` command (fine-tuning the default first if it is not cached; every probe a cached
prune + attack run) and writes its answer line, its probes' table and the machine it ran on to ``--out``.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", default="krp")
    parser.add_argument("--recipe", default="textbugger")
    parser.add_argument("-n", type=int, default=100)
    parser.add_argument("--out", default=None, help="write the answer here (Markdown)")
    args = parser.parse_args(argv)

    import torch

    from robustprune.cli import main as cli

    command = ["frontier", "--method", args.method, "--recipe", args.recipe, "-n", str(args.n)]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = cli(command)
    text = printed.getvalue()
    print(text)
    if args.out and code == 0:
        Path(args.out).write_text(
            f"# Frontier: {args.method} under {args.recipe}, the embedded default, n = {args.n}\n\n"
            f"`python -m bench.frontier_default --method {args.method} --recipe {args.recipe} -n {args.n}` "
            f"(`robustprune {' '.join(command)}`) on {platform.machine()}, {os.cpu_count()} CPUs, torch "
            f"{torch.__version__}; MiniLM-L6 fine-tuned on rotten_tomatoes on this machine, 128 calibration texts, "
            f"the first {args.n} test sentences.\n\n{text}")
    return code


if __name__ == "__main__":
    sys.exit(main())
