"""What every request for a run is: a frozen description of one run that knows its run id, the runs it needs
first, how to compute itself against a store, and how to travel as plain data.

The shape is Luigi's ``Task`` (``output()``, ``requires()``, ``run()``): a request's ``run_id`` is where its
output lives in the store, computed from the same cache keys the computing functions use and without
computing anything; ``requires`` names the requests whose runs it builds on; ``run`` makes the run (or finds it
cached). ``to_dict`` is what a job in the job table stores and what ``from_dict`` reads back, field for field
the parameters jobs have always stored, so a job queued by an earlier version still runs.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import ClassVar

from robustprune.data import TaskData, load_task_data
from robustprune.progress import Progress, silent
from robustprune.store import RunStore


@dataclass(frozen=True)
class DataRef:
    """Which dataset a request's runs are made on: what ``load_task_data`` gets (a registered name or a file's
    path) and a file's columns."""

    dataset: str = "rotten_tomatoes"
    text_column: str = "text"
    label_column: str = "label"

    def load(self) -> TaskData:
        return load_task_data(self.dataset, self.text_column, self.label_column)

    def to_dict(self) -> dict:
        return {"dataset": self.dataset, "text_column": self.text_column, "label_column": self.label_column}

    @classmethod
    def from_params(cls, params: dict) -> "DataRef":
        return cls(params["dataset"], params.get("text_column", "text"), params.get("label_column", "label"))


class RunRequest:
    """The interface of a request (see the module docstring); subclasses are frozen dataclasses."""

    kind: ClassVar[str]  # the name it is registered and queued under (``robustprune.requests.REQUESTS``)
    run_kind: ClassVar[str | None] = None  # the store kind of the run it makes: ``kind`` unless said
    rerun_when_done: ClassVar[bool] = False  # its "done" is no cache of its own: submitting it again checks again

    @property
    def store_kind(self) -> str | None:
        return self.run_kind or self.kind

    def run_id(self, data=None) -> str | None:
        """The id of the run this request makes; ``data`` (a ``TaskData``, or a ``DataIdentity`` where a
        fingerprint and a max length are enough) is loaded from the request's own ``DataRef`` when not given."""
        raise NotImplementedError

    def requires(self, data: TaskData | None = None) -> tuple["RunRequest", ...]:
        """The requests whose runs this one builds on (they are made first, or found cached, by ``run``)."""
        return ()

    def run(self, store: RunStore | None = None, data: TaskData | None = None, device: str = "auto",
            progress: Progress = silent, concurrency: int | None = None):
        """Make the run in ``store`` (or find it cached); returns the result the computing function returns."""
        raise NotImplementedError

    def describe(self) -> str:
        """What the run is, in a few words a user reads (the pages' job list)."""
        return f"{self.kind} job"

    def to_dict(self) -> dict:
        raise NotImplementedError

    @classmethod
    def from_dict(cls, params: dict) -> "RunRequest":
        raise NotImplementedError

    def task_data(self, data: TaskData | None = None) -> TaskData:
        if data is not None:
            return data
        ref = getattr(self, "data", None)
        if ref is None:
            from robustprune.errors import RobustPruneError

            raise RobustPruneError(f"a {self.kind} request without a dataset needs its data given")
        return ref.load()


@dataclass(frozen=True)
class OfAttackRun(RunRequest):
    """A run computed from one cached attack run alone, its only parameter (a per-layer AUC, a projection)."""

    attack_run_id: str

    def to_dict(self) -> dict:
        return {"attack": self.attack_run_id}

    @classmethod
    def from_dict(cls, params: dict) -> "OfAttackRun":
        return cls(params["attack"])


def changed_fields(config) -> dict:
    """The fields of a config dataclass that differ from their defaults, as its ``to_dict`` writes them: what a
    job stores (a page's default fine-tune is ``{}``), and what ``Config(**fields)`` reads back."""
    written = config.to_dict()
    return {f.name: written[f.name] for f in fields(config)
            if f.name in written and getattr(config, f.name) != f.default}


__all__ = ["DataRef", "RunRequest", "OfAttackRun", "changed_fields"]
