"""Per-sentence outcomes of a stored attack run: what the paired statistics are computed from.

An attack run records every attacked sentence (``examples.parquet``, see
``attack/records.py``) with TextAttack's result for the attacked model:

- ``skipped``: the model was wrong on the original text — not correct on the clean text;
- ``failed``: the model was right and the attack found no adversarial text — robust;
- ``succeeded``: right on the original, flipped by the attack.

So per sentence, ``correct`` = result ≠ skipped and ``robust`` = result = failed; their means
are the run's clean accuracy and accuracy under attack. Two runs are **paired** when they
attacked the very same sentences in the same order (same texts, same labels); anything else
(a different ``-n``, the user's own texts against the test split) is unpaired, and is
compared as such.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from robustprune.errors import RobustPruneError

METRICS = ("accuracy_under_attack", "clean_accuracy")


@dataclass(frozen=True)
class SentenceOutcomes:
    """One model's outcome on each attacked sentence, and what identifies the sentences."""

    robust: np.ndarray  # bool per sentence: right on the original, and the attack failed
    correct: np.ndarray  # bool per sentence: right on the original (clean) text
    sentences_hash: str  # SHA-256 of the (index, label, text) of every sentence, in order
    run_id: str | None = None

    @classmethod
    def from_results(cls, results, texts=None, labels=None, indices=None,
                     run_id: str | None = None) -> "SentenceOutcomes":
        """From TextAttack result names per sentence (``succeeded`` / ``failed`` / ``skipped``)."""
        results = list(results)
        texts = list(texts) if texts is not None else [str(index) for index in range(len(results))]
        labels = list(labels) if labels is not None else [0] * len(results)
        indices = list(indices) if indices is not None else list(range(len(results)))
        digest = hashlib.sha256()
        for index, text, label in zip(indices, texts, labels):
            digest.update(f"{index}\x1f{int(label)}\x1f{text}\x1e".encode("utf-8"))
        return cls(robust=np.array([result == "failed" for result in results], dtype=bool),
                   correct=np.array([result != "skipped" for result in results], dtype=bool),
                   sentences_hash=digest.hexdigest(), run_id=run_id)

    def __len__(self) -> int:
        return len(self.robust)

    def metric(self, name: str) -> np.ndarray:
        if name == "accuracy_under_attack":
            return self.robust
        if name == "clean_accuracy":
            return self.correct
        raise ValueError(f"unknown metric {name!r}; use one of {', '.join(METRICS)}")

    def paired_with(self, other: "SentenceOutcomes") -> bool:
        """Whether both were measured on the same sentences, in the same order."""
        return self.sentences_hash == other.sentences_hash


def attack_outcomes(record) -> SentenceOutcomes:
    """The outcomes of a stored attack run (a ``RunStore`` record of kind ``attack``); reads only the columns
    it needs from ``examples.parquet``, not the run's similarity tables."""
    import pyarrow.parquet as pq

    path = record.directory / "attack" / "examples.parquet"
    if not path.exists():
        raise RobustPruneError(f"attack run {record.run_id} has no per-example records ({path.name}); run the attack "
                               "again to record them")
    table = pq.read_table(path, columns=["index", "label", "result", "original_text"]).to_pydict()
    order = np.argsort(table["index"], kind="stable")
    return SentenceOutcomes.from_results([table["result"][i] for i in order],
                                         [table["original_text"][i] for i in order],
                                         [table["label"][i] for i in order],
                                         [table["index"][i] for i in order], run_id=record.run_id)


__all__ = ["SentenceOutcomes", "attack_outcomes", "METRICS"]
