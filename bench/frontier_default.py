"""The robustness frontier on the embedded default, as the README reports it: ``robustprune frontier`` itself.

    python -m bench.frontier_default [--method krp[,sparsegpt,...]] [--recipe textbugger] [-n 100]
        [--resolution 0.025] [--dataset rotten_tomatoes] [--epochs 1] [--ray] [--out bench/results/...]

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


class Both(io.TextIOBase):
    """Writes to every one of ``streams``."""

    def __init__(self, *streams):
        self.streams = streams

    def write(self, text: str) -> int:
        for stream in self.streams:
            stream.write(text)
            stream.flush()
        return len(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", default=None, help="method(s), comma-separated (default krp; with --preset, "
                        "the preset's)")
    parser.add_argument("--recipe", default="textbugger")
    parser.add_argument("-n", type=int, default=100)
    parser.add_argument("--resolution", default=None, help="the frontier's --resolution (default the CLI's)")
    parser.add_argument("--dataset", default=None, help="the frontier's --dataset (default the CLI's)")
    parser.add_argument("--preset", default=None, help="the frontier's --preset (paper: the paper's whole setup)")
    parser.add_argument("--epochs", default=None, help="the dense start's fine-tuning epochs (default the CLI's)")
    parser.add_argument("--ray", action="store_true", help="run the probes as Ray tasks on this machine (one CPU each)")
    parser.add_argument("--out", default=None, help="write the answer here (Markdown)")
    args = parser.parse_args(argv)

    import torch

    from robustprune.cli import main as cli

    method = args.method or (None if args.preset else "krp")
    command = ["frontier", "--recipe", args.recipe, "-n", str(args.n)]
    command += ["--method", method] if method else []
    command += ["--resolution", args.resolution] if args.resolution else []
    command += ["--dataset", args.dataset] if args.dataset else []
    command += ["--preset", args.preset] if args.preset else []
    command += ["--epochs", args.epochs] if args.epochs else []
    command += ["--ray"] if args.ray else []
    printed = io.StringIO()
    with contextlib.redirect_stdout(Both(printed, sys.stdout)):  # progress shows as it runs
        code = cli(command)
    text = printed.getvalue()
    if args.out and code == 0:
        Path(args.out).write_text(
            f"# Frontier: {method or args.preset + ' setup'} under {args.recipe}, "
            f"{args.dataset or 'the embedded default'}, n = {args.n}\n\n"
            f"`python -m bench.frontier_default {' '.join(argv if argv is not None else sys.argv[1:])}` "
            f"(`robustprune {' '.join(command)}`) on {platform.machine()}, {os.cpu_count()} CPUs, torch "
            f"{torch.__version__}, load average {' '.join(f'{load:.1f}' for load in os.getloadavg())} at the end; "
            f"MiniLM-L6 fine-tuned on {args.dataset or 'rotten_tomatoes'} on this machine (seed 0"
            f"{', ' + args.epochs + ' epochs' if args.epochs else ''}), "
            f"{'the preset' + chr(39) + 's dense start and calibration' if args.preset else '128 calibration texts'}, "
            f"the first {args.n} test texts.\n\n{text}")
    return code


if __name__ == "__main__":
    sys.exit(main())
