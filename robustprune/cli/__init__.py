"""The ``robustprune`` command line: thin wrappers over the library, one JSON object with ``--json``.

``arguments.py`` builds the parser, ``commands.py`` holds the commands, ``sweep.py`` the sweep (and ``table``),
``frontier.py`` the frontier.
"""

from __future__ import annotations

import json
import sys
import warnings
from contextlib import contextmanager

from robustprune.cli import arguments
from robustprune.cli.arguments import apply_preset  # noqa: F401
from robustprune.cli.commands import (command_attack, command_datasets, command_finetune, command_models,
                                      command_prune, command_report, command_runs, command_soup, command_worker)
from robustprune.cli.frontier import add_frontier_parser, command_frontier
from robustprune.cli.sweep import command_sweep, sweep_spec
from robustprune.errors import RobustPruneError

def build_parser():
    """Every command's arguments (``arguments.build_parser``, with the commands that build on it)."""
    return arguments.build_parser(more_commands=(add_frontier_parser,))


COMMANDS = {"finetune": command_finetune, "prune": command_prune, "attack": command_attack, "table": command_sweep,
            "sweep": command_sweep, "runs": command_runs, "worker": command_worker, "report": command_report,
            "models": command_models, "datasets": command_datasets, "soup": command_soup,
            "frontier": command_frontier}


@contextmanager
def one_line_warnings():
    """Show what the store tells a user (``robustprune.errors.StoreNotice``: a damaged cached run, an index rebuilt
    from the run folders) as one line on stderr, every time."""
    from robustprune.errors import StoreNotice

    with warnings.catch_warnings():
        default = warnings.showwarning

        def show(message, category, filename, lineno, file=None, line=None):
            if issubclass(category, StoreNotice):
                print(f"robustprune: warning: {message}", file=sys.stderr)
            else:
                default(message, category, filename, lineno, file, line)

        warnings.showwarning = show
        warnings.simplefilter("always", StoreNotice)
        yield


def main(argv: list[str] | None = None) -> int:
    """Run one command; its exit code: 0, 2 for bad arguments, 1 for a sweep with failed runs or a closed stdout."""
    try:
        code = run_command(argv)
        sys.stdout.flush()  # a closed pipe shows here, not at exit, where Python could only report it
    except BrokenPipeError:
        return quiet_exit_on_closed_stdout()
    return code


def run_command(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    try:
        with one_line_warnings():
            if getattr(args, "device", None) is not None:  # also when the run asked for is cached
                from robustprune.device import check_device_name

                check_device_name(args.device)
            apply_preset(args)
            output = COMMANDS[args.command](args)
    except RobustPruneError as error:
        print(f"robustprune {args.command}: error: {error}", file=sys.stderr)
        return 2
    if getattr(args, "json", False):
        print(json.dumps(output, default=str))
    return 1 if isinstance(output, dict) and output.get("failed") else 0  # a sweep with failed runs


def quiet_exit_on_closed_stdout() -> int:
    """The reader of stdout went away (``robustprune runs | head``): what is left to print goes to devnull, so
    that Python's flush at exit finds no broken pipe to report, and the exit code is 1, as the Python docs'
    note on SIGPIPE has it. Whatever was computed is cached already."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 1


__all__ = ["main", "build_parser", "apply_preset", "sweep_spec", "COMMANDS"]
