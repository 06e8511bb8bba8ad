"""Progress reporting shared by the CLI (tqdm bars), the worker (job table) and tests (silent)."""

from __future__ import annotations

from typing import Protocol

from tqdm.auto import tqdm


class Progress(Protocol):
    def __call__(self, stage: str, done: int, total: int) -> None: ...


def silent(stage: str, done: int, total: int) -> None:
    """Report nothing."""


class TqdmProgress:
    """One tqdm bar per stage, on stderr so that ``--json`` output stays clean."""

    def __init__(self) -> None:
        self.bars: dict[str, tqdm] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        bar = self.bars.get(stage)
        if bar is None:
            bar = self.bars[stage] = tqdm(total=total, desc=stage, leave=True, dynamic_ncols=True)
        bar.total = total
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()
            del self.bars[stage]
