"""Several examples' searches at once inside one process, their model calls merged into full batches.

A greedy word-swap search sends a handful of candidate texts per step to the classifier
and to the sentence encoder, so one search alone keeps a GPU (or a CPU's wide kernels)
mostly idle. ``ExampleScheduler`` runs up to ``concurrency`` searches side by side and
merges their calls:

- Each search runs in a thread of its own, but only one thread runs at a time (a baton
  passed by the scheduler), so the searches never race on shared state.
- When a search needs the model (``request``), it files what it needs and hands the
  baton back. Once every running search is waiting, the scheduler computes all filed
  requests of a kind in one call (all classifier texts together, all sentence-encoder
  windows together), and the searches resume in example order.
- Random draws stay per example: the scheduler saves Python's, NumPy's and torch's
  generator states when a search hands the baton back and restores them when it resumes,
  so a search draws exactly the numbers it would draw alone from its own seed
  (``robustprune.attack.seeding``).

A search's result is therefore the same as when it runs alone, except where merged
batches change a logit by float rounding (padding to another length); the tests and
``bench/bench_attack.py`` check that the outcomes, texts and query counts are identical.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Callable, Iterable, Sequence

import numpy as np
import torch

_current = threading.local()  # .scheduler and .slot of the search running in this thread


@dataclass
class _Slot:
    """One search: its thread, its generator states, and what it is waiting for."""

    position: int
    go: threading.Event = field(default_factory=threading.Event)
    handed_back: threading.Event = field(default_factory=threading.Event)
    rng_state: tuple | None = None
    finished: bool = False
    result: object = None
    error: BaseException | None = None
    waiting: bool = False


def _save_rng() -> tuple:
    return random.getstate(), np.random.get_state(), torch.get_rng_state()


def _restore_rng(state: tuple) -> None:
    python_state, numpy_state, torch_state = state
    random.setstate(python_state)
    np.random.set_state(numpy_state)
    torch.set_rng_state(torch_state)


class ExampleScheduler:
    """Run ``function(item)`` for many items, ``concurrency`` at a time, merging their ``request`` calls."""

    def __init__(self, concurrency: int = 16) -> None:
        if concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {concurrency}")
        self.concurrency = concurrency
        self._requests: dict[str, tuple[Callable[[list], None], list]] = {}
        self.flushes = 0

    # -- inside a search
    @staticmethod
    def active() -> "ExampleScheduler | None":
        """The scheduler running the calling thread's search, or None outside one."""
        return getattr(_current, "scheduler", None)

    def request(self, kind: str, items: Sequence, compute: Callable[[list], None]) -> None:
        """From inside a search: have ``compute`` run on ``items`` (merged with other searches' items of the same
        ``kind``), and return once it has. ``compute`` stores its results where the caller reads them."""
        slot: _Slot = _current.slot
        pending = self._requests.setdefault(kind, (compute, []))[1]
        pending.extend(items)
        slot.waiting = True
        self._hand_back(slot)

    # -- the driver
    def map(self, function: Callable[[object], object], items: Iterable,
            on_result: Callable[[int, object], None] | None = None) -> list:
        """``[function(item) for item in items]``, the searches interleaved as described in the module docstring.

        ``on_result(position, result)`` is called as each search finishes (e.g. progress). An exception in a
        search stops the map and is raised here after the other running searches are abandoned.
        """
        items = list(items)
        results: list = [None] * len(items)
        queue = list(range(len(items)))
        running: dict[int, _Slot] = {}
        try:
            while queue or running:
                while queue and len(running) < self.concurrency:
                    position = queue.pop(0)
                    running[position] = self._start(position, function, items[position])
                for position in sorted(running):
                    slot = running[position]
                    if not slot.waiting:
                        self._resume(slot)
                for position in sorted(running):
                    slot = running[position]
                    if slot.finished:
                        del running[position]
                        if slot.error is not None:
                            raise slot.error
                        results[position] = slot.result
                        if on_result is not None:
                            on_result(position, slot.result)
                if self._requests:
                    self._flush(running.values())
        finally:
            for slot in running.values():  # abandoned after an error: let their threads end
                slot.error = slot.error or _Abandoned()
                slot.go.set()
        return results

    def _start(self, position: int, function, item) -> _Slot:
        slot = _Slot(position)
        outer = _save_rng()

        def body() -> None:
            _current.scheduler, _current.slot = self, slot
            slot.go.wait()
            try:
                if isinstance(slot.error, _Abandoned):
                    return
                slot.result = function(item)
            except BaseException as error:  # noqa: BLE001 - handed to the driver, raised there
                slot.error = error
            finally:
                slot.finished = True
                slot.handed_back.set()

        slot.rng_state = outer
        thread = threading.Thread(target=body, name=f"example-{position}", daemon=True)
        thread.start()
        return slot

    def _resume(self, slot: _Slot) -> None:
        """Give ``slot`` the baton (with its generator states) until it files a request or finishes."""
        outer = _save_rng()
        _restore_rng(slot.rng_state)
        slot.handed_back.clear()
        slot.go.set()
        slot.handed_back.wait()
        slot.rng_state = _save_rng()
        _restore_rng(outer)

    def _hand_back(self, slot: _Slot) -> None:
        slot.go.clear()
        slot.handed_back.set()
        slot.go.wait()
        if isinstance(slot.error, _Abandoned):
            raise slot.error

    def _flush(self, slots) -> None:
        """Compute every filed request, one call per kind, then mark the waiting searches runnable."""
        requests, self._requests = self._requests, {}
        for compute, items in requests.values():
            compute(list(dict.fromkeys(items)))
        self.flushes += 1
        for slot in slots:
            slot.waiting = False


class _Abandoned(Exception):
    """Raised inside a search whose map stopped on another search's error."""


def merged(kind: str, missing: list, compute: Callable[[list], None]) -> None:
    """Compute ``missing`` now, or, inside a scheduled search, merged with the other searches' requests."""
    if not missing:
        return
    scheduler = ExampleScheduler.active()
    if scheduler is None:
        compute(missing)
    else:
        scheduler.request(kind, missing, compute)


__all__ = ["ExampleScheduler", "merged"]
