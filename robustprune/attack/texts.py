"""Texts to attack in place of a dataset's test split, and the classes their labels name.

``AttackTexts`` come from a file (``read_texts``: CLI ``--texts FILE``), from the dashboard's own-sentences
form or from Python; their labels are checked against the attacked model's classes (``resolve_labels``), or
the dense model's predictions are taken as the labels. ``robustprune.attack.runs`` caches an attack on them by
the texts' content hash.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from robustprune.errors import RobustPruneError
from robustprune.store import DENSE_KINDS, RunStore


@dataclass(frozen=True)
class AttackTexts:
    """Texts to attack in place of a dataset's test split.

    ``labels``: each text's true class, as an index of the attacked model's classes or its
    class name (checked against the model by ``resolve_labels``); ``None`` takes the dense
    model's own predictions as the labels (an attack then asks: can the prediction be
    flipped?). ``source`` names where the texts came from (a file, "pasted", ...).
    """

    texts: tuple[str, ...]
    labels: tuple[int | str, ...] | None = None
    source: str = "texts"

    def __post_init__(self) -> None:
        object.__setattr__(self, "texts", tuple(str(text) for text in self.texts))
        if self.labels is not None:
            object.__setattr__(self, "labels", tuple(self.labels))
            if len(self.labels) != len(self.texts):
                raise RobustPruneError(f"{len(self.texts)} texts but {len(self.labels)} labels in {self.source}; "
                                       "give one label per text, or none (the dense model's predictions)")
        if not self.texts or not any(text.strip() for text in self.texts):
            raise RobustPruneError(f"no texts to attack in {self.source}; give at least one non-empty text")

    def to_dict(self) -> dict:
        """Plain JSON for a job's or a sweep cell's parameters; ``from_dict`` reads it back."""
        return {"texts": list(self.texts), "labels": None if self.labels is None else list(self.labels),
                "source": self.source}

    @classmethod
    def from_dict(cls, fields: dict) -> "AttackTexts":
        labels = fields.get("labels")
        return cls(tuple(fields["texts"]), None if labels is None else tuple(labels), fields.get("source", "texts"))

    @property
    def content_hash(self) -> str:
        """sha256 of the texts and labels (what the cache key holds instead of a dataset fingerprint)."""
        payload = json.dumps({"texts": list(self.texts), "labels": None if self.labels is None else
                              [str(label) for label in self.labels]}, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]

    @property
    def name(self) -> str:
        return f"texts:{self.source} ({len(self.texts)} texts, {self.content_hash})"


def read_texts(path: str | Path, text_column: str = "text", label_column: str | None = "label",
               labels_required: bool = False, limit: int | None = None) -> AttackTexts:
    """``AttackTexts`` from a .csv/.jsonl/.parquet/.txt file (a .txt file: one text a line, no labels): its first
    ``limit`` texts (None: all), read as a stream, so that attacking 2 texts of a million-line file reads 2 lines.

    A table without ``label_column`` gives no labels (the dense model's predictions are
    used) unless ``labels_required``; ``label_column=None`` ignores any labels. Tables are
    read as dataset files are (``robustprune.data.files``): a file that is empty, not UTF-8
    or not the format its name says, and rows without a text or a label, fail with one
    line that says where.
    """
    from robustprune.data import files

    path = Path(path).expanduser()
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "does not exist"
        raise RobustPruneError(f"texts file {str(path)!r} {what}; pass a .csv, .jsonl, .parquet or .txt file")
    suffix = path.suffix.lower()
    if suffix == ".txt":
        return AttackTexts(tuple(text_lines(path, limit)), None, path.name)
    readers = {".csv": files.read_csv, ".jsonl": files.read_json, ".json": files.read_json,
               ".parquet": lambda file, limit: files.read_parquet(file, text_column, label_column or text_column,
                                                                  limit)}
    if suffix not in readers:
        raise RobustPruneError(f"{path}: unsupported file type {path.suffix!r}; use .csv, .jsonl, .parquet or .txt")
    if files.is_blank(path):
        raise RobustPruneError(f"{path}: the file is empty; give a column {text_column!r} with one text a row "
                               "(and, if you have them, their labels)")
    columns, records, unit = readers[suffix](path, limit)
    if text_column not in columns:
        raise RobustPruneError(f"{path}: no column {text_column!r}; it has {', '.join(map(str, columns)) or 'none'} "
                               "(set --text-column)")
    with_labels = label_column is not None and label_column in columns
    if labels_required and not with_labels:
        raise RobustPruneError(f"{path}: no column {label_column!r}; it has {', '.join(map(str, columns))} "
                               "(set --label-column, or leave it out to use the dense model's predictions)")
    if not records:
        raise RobustPruneError(f"{path}: has the columns {', '.join(map(str, columns))} but no rows; give at least "
                               "one text")
    texts = [files.text_value(record.get(text_column)) for _, record in records]
    labels = [files.label_name(record.get(label_column)) for _, record in records] if with_labels else None
    for values, column, what in ((texts, text_column, "text"), (labels or [], label_column, "label")):
        missing = [place for (place, _), value in zip(records, values) if value is None]
        files.refuse_missing(path, missing, len(records), column, what, unit)
    return AttackTexts(tuple(texts), None if labels is None else tuple(labels), path.name)


def text_lines(path: Path, limit: int | None) -> list[str]:
    """The first ``limit`` non-empty lines of a text file, stripped, read a line at a time."""
    from robustprune.data.files import utf8_lines

    texts, lines = [], utf8_lines(path)
    try:
        for line in lines:
            if line.strip():
                texts.append(line.strip())
            if limit is not None and len(texts) >= limit:
                break
    finally:
        lines.close()
    return texts


def model_classes(model) -> list[str]:
    """The class names of a classifier (its config's id2label, in index order)."""
    config = model.config
    id2label = getattr(config, "id2label", None) or {}
    return [str(id2label.get(index, id2label.get(str(index), f"LABEL_{index}"))) for index in range(config.num_labels)]


def stored_classes(run_id: str, store: RunStore) -> list[str]:
    """The class names of a cached run's (dense) model, from its saved config, without loading it."""
    record = store.require(run_id)
    dense = record if record.kind in DENSE_KINDS else store.require(record.parent)
    config = json.loads((dense.directory / "model" / "config.json").read_text(encoding="utf-8"))
    id2label = config.get("id2label") or {}
    count = len(id2label) or int(config.get("num_labels", 2))
    return [str(id2label.get(str(index), f"LABEL_{index}")) for index in range(count)]


def resolve_labels(texts: AttackTexts, classes: list[str], predicted: list[int] | None = None) -> list[int]:
    """Class indices of ``texts.labels`` (indices or names of ``classes``), or ``predicted`` when it has none.

    A label that is not one of the model's classes fails with one line naming it and the classes.
    """
    if texts.labels is None:
        if predicted is None:
            raise RobustPruneError(f"{texts.source} has no labels; give a label per text")
        return list(predicted)
    by_name = {name.lower(): index for index, name in enumerate(classes)}
    resolved, unknown = [], []
    for label in texts.labels:
        text = str(label).strip()
        if text.lstrip("-").isdigit() and 0 <= int(text) < len(classes):
            resolved.append(int(text))
        elif text.lower() in by_name:
            resolved.append(by_name[text.lower()])
        else:
            unknown.append(text)
    if unknown:
        shown = ", ".join(repr(label) for label in dict.fromkeys(unknown[:5]))
        raise RobustPruneError(
            f"label(s) {shown} in {texts.source} are not classes of the model; use 0..{len(classes) - 1} or "
            f"{', '.join(classes)}")
    return resolved


__all__ = ["AttackTexts", "read_texts", "model_classes", "stored_classes", "resolve_labels"]
