"""Where the dashboard may read datasets and models from: never a server path taken from a URL.

Every choice a page offers can arrive in a link, so a name from a page is resolved here
before anything is opened, and what cannot be resolved is refused with one message that
is the same whether or not such a path exists on the server.

A dataset is

- a registered name (``rotten_tomatoes``, ``sst2``, ...) or the configured default;
- an upload: ``upload:<sha256 prefix>.<ext>``, a file a user gave the page, stored in the
  run store (``$ROBUSTPRUNE_HOME/uploads``) under its content hash;
- a file in the data folder the person running the app configured
  (``$ROBUSTPRUNE_DATA_DIR``), named relative to it (``reviews.csv``, ``sub/reviews.csv``);
  a name that leaves the folder (``..``, an absolute path elsewhere, a symlink out) is
  refused.

A model is a registered name, the configured default, the model of a cached run, a
model folder in the data folder, or a Hugging Face hub id (``owner/name``) that is not
also a path on the server. The command line and the Python API are not affected: their
user owns the shell and may name any path.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from robustprune import paths
from robustprune.errors import RobustPruneError
from robustprune.hashing import file_sha256

DATA_DIR_ENV = "ROBUSTPRUNE_DATA_DIR"
UPLOAD_PREFIX = "upload:"
UPLOAD_SUFFIXES = (".csv", ".jsonl", ".json", ".parquet")  # what robustprune.data.files reads
FILE_TYPES = " / ".join(UPLOAD_SUFFIXES)  # as a page names them: ".csv / .jsonl / .json / .parquet"
UPLOAD_NAME = re.compile(r"[0-9a-f]{16}\.(csv|jsonl|json|parquet)")
HUB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?")
LISTED_FILES = 200  # files of the data folder offered in a picker
LONGEST_NAME = 255  # a file name's limit on common file systems; a hub id is shorter still (96 a part)


def data_folder() -> Path | None:
    """The folder configured with ``$ROBUSTPRUNE_DATA_DIR`` (resolved), or None."""
    configured = os.environ.get(DATA_DIR_ENV)
    return Path(configured).expanduser().resolve() if configured else None


def uploads_folder() -> Path:
    folder = paths.home() / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def refused_dataset(name: str) -> RobustPruneError:
    folder = f"the data folder (${DATA_DIR_ENV})" if data_folder() else f"a data folder (none is set: ${DATA_DIR_ENV})"
    return RobustPruneError(
        f"dataset {name!r} is not one the dashboard opens: choose a registered dataset, upload a file, or name a "
        f"file in {folder}; the command line takes any path")


def refused_model(name: str) -> RobustPruneError:
    folder = f"the data folder (${DATA_DIR_ENV})" if data_folder() else f"a data folder (none is set: ${DATA_DIR_ENV})"
    return RobustPruneError(
        f"model {name!r} is not one the dashboard opens: choose a registered model, a model of a cached run, a hub "
        f"id, or a model folder in {folder}; the command line takes any path")


def inside_data_folder(name: str) -> Path | None:
    """``name`` as a path in the data folder (relative to it, or absolute and inside it, symlinks resolved);
    None when there is no folder or the path leaves it. Existence is not checked."""
    folder = data_folder()
    if folder is None or not name or "\x00" in name:
        return None
    path = (folder / Path(name).expanduser()).resolve()  # an absolute name replaces the folder, then must be in it
    return path if path == folder or path.is_relative_to(folder) else None


def dataset_source(name: str, default: str | None = None) -> str:
    """The name or path ``load_task_data`` gets for a dataset named on a page; RobustPruneError when refused."""
    from robustprune.data.registry import DATASETS

    name = name.strip()
    if name in DATASETS or (default is not None and name == default):
        return name
    if len(name) > LONGEST_NAME:
        raise refused_dataset(name[:40] + "…")
    if name.startswith(UPLOAD_PREFIX):
        upload = name[len(UPLOAD_PREFIX):]
        path = uploads_folder() / upload
        if not UPLOAD_NAME.fullmatch(upload) or not path.is_file():
            raise RobustPruneError(f"no upload {name!r} in this app's store; upload the file again")
        return str(path)
    path = inside_data_folder(name)
    if path is None or path.suffix.lower() not in UPLOAD_SUFFIXES:
        raise refused_dataset(name)
    if not path.is_file():
        raise RobustPruneError(f"no file {name!r} in the data folder (${DATA_DIR_ENV}); "
                               f"it holds {', '.join(data_files()[:8]) or f'no {FILE_TYPES} files'}")
    return str(path)


def model_source(name: str, known: set[str] = frozenset(), default: str | None = None) -> str:
    """The name or directory the pipeline gets for a model named on a page; RobustPruneError when refused.

    ``known``: the models of cached runs (chosen before, so allowed as they are).
    """
    from robustprune.models.registry import MODELS

    name = name.strip()
    if name in MODELS or name in known or (default is not None and name == default):
        return name
    if len(name) > LONGEST_NAME:
        raise refused_model(name[:40] + "…")
    path = inside_data_folder(name)
    if path is not None and path.is_dir():
        if not (path / "config.json").is_file():
            raise RobustPruneError(f"{name!r} in the data folder has no config.json; save a model there with "
                                   "save_pretrained")
        return str(path)
    if HUB_ID.fullmatch(name) and ".." not in name and not Path(name).exists():
        return name  # a hub id: fetched by transformers, never a local path
    raise refused_model(name)


def store_upload(content: bytes, filename: str) -> str:
    """Keep an uploaded dataset file in the run store under its content hash; returns its name for the pages."""
    suffix = Path(filename).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise RobustPruneError(f"{filename}: unsupported file type {suffix or '(none)'}; upload a "
                               f"{', '.join(UPLOAD_SUFFIXES)} file")
    folder = uploads_folder()
    partial = folder / f".partial-{os.getpid()}-{os.urandom(4).hex()}{suffix}"
    partial.write_bytes(content)
    name = f"{file_sha256(partial)[:16]}{suffix}"
    os.replace(partial, folder / name)
    return UPLOAD_PREFIX + name


def data_files() -> list[str]:
    """The dataset files directly in the data folder, by name."""
    folder = data_folder()
    if folder is None or not folder.is_dir():
        return []
    return sorted(path.name for path in folder.iterdir()
                  if path.is_file() and path.suffix.lower() in UPLOAD_SUFFIXES)[:LISTED_FILES]


def data_models() -> list[str]:
    """The model folders (with a config.json) directly in the data folder, by name."""
    folder = data_folder()
    if folder is None or not folder.is_dir():
        return []
    return sorted(path.name for path in folder.iterdir() if (path / "config.json").is_file())[:LISTED_FILES]


def uploads() -> list[str]:
    """The uploads in the run store, newest first, by their page names."""
    files = [path for path in uploads_folder().iterdir() if UPLOAD_NAME.fullmatch(path.name)]
    return [UPLOAD_PREFIX + path.name for path in sorted(files, key=lambda path: -path.stat().st_mtime)]


__all__ = ["DATA_DIR_ENV", "data_folder", "dataset_source", "model_source", "store_upload", "data_files",
           "data_models", "uploads", "inside_data_folder"]
