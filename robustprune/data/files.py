"""A local dataset file read into texts and class labels, with one clear error for each way it can be wrong.

- CSV: UTF-8 (a byte-order mark is fine), read with the ``csv`` module, so every value stays
  the text that is in the file: integer labels stay ``"0"``, ``"1"`` (pandas would make a
  column with a gap ``0.0``, ``1.0``, ``nan``), and an error can name the file's lines.
- JSON Lines (``.jsonl``; also a ``.json`` of one object per line) or a ``.json`` array of
  objects: values as JSON typed them.
- Parquet: values as the column typed them (pyarrow).

A label becomes a class name: a string as it is (trimmed), an integer (or an integral float
such as Parquet's ``1.0``) as its digits. Rows with an empty text or label are refused with
their count and line numbers rather than guessed at; so are files too small to measure
anything on (fewer than ``MIN_TEST_TEXTS`` test texts after the split) and label columns
that hold text or measurements rather than classes.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
from dataclasses import dataclass
from pathlib import Path

from robustprune.errors import RobustPruneError

MIN_TEST_TEXTS = 20  # fewer test texts measure nothing: one text is 5 points of accuracy
SHOWN_LINES = 8  # line numbers named in an error


@dataclass
class FileRows:
    """The usable rows of a file: texts, their labels as class names, and where each row is ("line 3")."""

    texts: list[str]
    labels: list[str]
    places: list[int]
    unit: str  # "line" (CSV, JSON Lines) or "record" / "row" (a JSON array, Parquet)


def read_rows(path: Path, text_column: str, label_column: str) -> FileRows:
    """The (text, label) rows of a CSV / JSON Lines / JSON / Parquet file; RobustPruneError says what is wrong."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        columns, records, unit = read_csv(path)
    elif suffix in (".jsonl", ".json"):
        columns, records, unit = read_json(path)
    elif suffix == ".parquet":
        columns, records, unit = read_parquet(path, text_column, label_column)
    else:
        raise RobustPruneError(f"{path}: unsupported file type {path.suffix!r}; use .csv, .jsonl, .json or .parquet")
    for column in (text_column, label_column):
        if column not in columns:
            raise RobustPruneError(f"{path}: no column {column!r}; it has {', '.join(map(str, columns)) or 'none'} "
                                   "(choose the text and label columns; CLI --text-column / --label-column)")
    if not records:
        raise RobustPruneError(f"{path}: has the columns {', '.join(map(str, columns))} but no rows; "
                               f"a dataset needs at least {rows_needed()} rows of text and label")
    texts, labels, places, no_text, no_label = [], [], [], [], []
    for place, record in records:
        text, label = text_value(record.get(text_column)), label_name(record.get(label_column))
        if text is None:
            no_text.append(place)
        if label is None:
            no_label.append(place)
        if text is not None and label is not None:
            texts.append(text)
            labels.append(label)
            places.append(place)
    refuse_missing(path, no_label, len(records), label_column, "label", unit)
    refuse_missing(path, no_text, len(records), text_column, "text", unit)
    return FileRows(texts, labels, places, unit)


def refuse_missing(path: Path, missing: list[int], rows: int, column: str, what: str, unit: str) -> None:
    """One line naming the rows (their places) that have no ``what`` in ``column``; nothing when none."""
    if missing:
        raise RobustPruneError(f"{path}: {len(missing)} of {rows} rows have no {what} (column {column!r} empty) on "
                               f"{unit}s {places_text(missing)}; fill them in or remove those rows")


# a field may hold a whole review (texts are cut to the model's length later): the csv module's default limit,
# 131,072 characters, would refuse one long review
csv.field_size_limit(2**31 - 1)
CHUNK_BYTES = 1 << 20


def is_blank(path: Path) -> bool:
    """Whether the file holds nothing but whitespace, read a chunk at a time (a large file is not read whole)."""
    with open(path, "rb") as stream:
        while chunk := stream.read(CHUNK_BYTES):
            if chunk.strip():
                return False
    return True


def utf8_lines(path: Path):
    """The file's lines as text, read and decoded one at a time (a line break is never inside a UTF-8 character, and
    nothing past the last line asked for is decoded); a byte that is not UTF-8 is one error naming it and its line."""
    with open(path, "rb") as stream:
        for number, content in enumerate(stream, 1):
            try:
                yield content.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as error:
                raise RobustPruneError(
                    f"{path}: not UTF-8 text (byte 0x{content[error.start]:02x} on line {number}); save it as UTF-8 "
                    "(a spreadsheet's 'CSV UTF-8', or iconv -f latin1 -t utf-8)") from None


def read_csv(path: Path, limit: int | None = None) -> tuple[list[str], list[tuple[int, dict]], str]:
    """The header and rows of a CSV, streamed from the file: ``limit`` rows at most (None: all)."""
    if is_blank(path):
        raise RobustPruneError(f"{path}: the file is empty; a CSV needs a header line naming its columns "
                               f"(e.g. text,label) and at least {rows_needed()} rows")
    lines = utf8_lines(path)
    try:
        reader = csv.DictReader(lines)
        try:
            columns = [column.strip() for column in reader.fieldnames or []]
            reader.fieldnames = columns
            records = [(reader.line_num, record) for record in itertools.islice(reader, limit)]
        except csv.Error as error:
            raise RobustPruneError(f"{path}: not a readable CSV near line {reader.line_num} ({error})") from None
    finally:
        lines.close()  # the file, when the rows asked for end before it does
    return columns, records, "line"


def read_json(path: Path, limit: int | None = None) -> tuple[list[str], list[tuple[int, dict]], str]:
    """The records of JSON Lines (streamed: ``limit`` at most) or of a ``.json`` array (read whole: JSON has no
    way to read an array's first items alone)."""
    if is_blank(path):
        raise RobustPruneError(f"{path}: the file is empty; write one JSON object per line, e.g. "
                               '{"text": "...", "label": 1}')
    records, unit = None, "line"
    with open(path, "rb") as stream:
        is_array = stream.read(CHUNK_BYTES).lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"[")
    if path.suffix.lower() == ".json" and is_array:
        try:
            records = list(enumerate(json.loads(path.read_text(encoding="utf-8-sig")), 1))[:limit]
            unit = "record"
        except UnicodeDecodeError:
            raise RobustPruneError(f"{path}: not UTF-8 text; save it as UTF-8") from None
        except json.JSONDecodeError:
            records = None
    if records is None:
        records = []
        lines = utf8_lines(path)
        try:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                try:
                    records.append((number, json.loads(line)))
                except json.JSONDecodeError as error:
                    raise RobustPruneError(f"{path}: line {number} is not JSON ({error.msg}); write one object per "
                                           'line, e.g. {"text": "...", "label": 1}') from None
                if limit is not None and len(records) >= limit:
                    break
        finally:
            lines.close()
    if not all(isinstance(record, dict) for _, record in records):
        raise RobustPruneError(f"{path}: every line (or array item) must be an object with a text and a label")
    columns = list(dict.fromkeys(name for _, record in records for name in record))
    return columns, records, unit


def read_parquet(path: Path, text_column: str, label_column: str,
                 limit: int | None = None) -> tuple[list[str], list[tuple[int, dict]], str]:
    """The text and label columns of a Parquet file, a batch at a time: ``limit`` rows at most."""
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
        columns = parquet.schema_arrow.names
        if text_column not in columns:
            return columns, [], "row"
        wanted = [column for column in dict.fromkeys((text_column, label_column)) if column in columns]
        rows = []
        for batch in parquet.iter_batches(columns=wanted):
            rows.extend(batch.to_pylist())
            if limit is not None and len(rows) >= limit:
                break
    except Exception as error:  # pyarrow raises several types for a file that is not Parquet
        raise RobustPruneError(f"{path}: not a readable Parquet file ({type(error).__name__})") from None
    return columns, list(enumerate(rows[:limit], 1)), "row"


def text_value(value) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    text = str(value)
    return text if text.strip() else None


def label_name(value) -> str | None:
    """A label as a class name: trimmed text; an integer (or integral float: 1.0) as its digits."""
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    text = str(value).strip()
    return text or None


def class_names(labels: list[str]) -> list[str]:
    """The distinct labels in class order: numerically when all are integers (so "2" < "10"), else sorted."""
    names = set(labels)
    if all(name.lstrip("-").isdigit() for name in names):
        return sorted(names, key=int)
    return sorted(names)


def held_out_count(rows: int, test_fraction: float) -> int:
    """How many of ``rows`` a seeded ``train_test_split(test_size=test_fraction)`` holds out (it rounds up)."""
    return math.ceil(rows * test_fraction)


def rows_needed(test_fraction: float = 0.1) -> int:
    """The fewest rows whose split holds out ``MIN_TEST_TEXTS`` test texts."""
    rows = MIN_TEST_TEXTS
    while held_out_count(rows, test_fraction) < MIN_TEST_TEXTS:
        rows += 1
    return rows


def check_measurable(path: Path, rows: FileRows, label_column: str, names: list[str], test_fraction: float) -> None:
    """Refuse a file that cannot make a classification task worth measuring; say why and what would work."""
    count = len(rows.texts)
    if len(names) < 2:
        raise RobustPruneError(f"{path}: column {label_column!r} has {len(names)} distinct label(s); need at least 2")
    if len(names) > 10 and len(names) > count // 2:
        raise RobustPruneError(
            f"{path}: column {label_column!r} has {len(names)} distinct values in {count} rows: text or "
            "measurements, not class labels; choose the column of classes (CLI --label-column)")
    held_out = held_out_count(count, test_fraction)
    if held_out < MIN_TEST_TEXTS:
        raise RobustPruneError(
            f"{path}: {count} rows give {count - held_out} training and {held_out} test texts "
            f"({test_fraction:.0%} are held out); accuracy needs at least {MIN_TEST_TEXTS} test texts: "
            f"use a file of at least {rows_needed(test_fraction)} rows")


def places_text(places: list[int]) -> str:
    shown = ", ".join(map(str, places[:SHOWN_LINES]))
    return shown + (f" and {len(places) - SHOWN_LINES} more" if len(places) > SHOWN_LINES else "")


__all__ = ["FileRows", "read_rows", "class_names", "check_measurable", "MIN_TEST_TEXTS", "rows_needed"]
