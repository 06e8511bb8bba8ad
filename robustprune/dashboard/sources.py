"""Where the dashboard may read datasets and models from: never a server path taken from a URL.

Every choice a page offers can arrive in a link, so a name from a page is resolved here
before anything is opened, and what cannot be resolved is refused with one message that
is the same whether or not such a path exists on the server.

A dataset is

- a registered name (``rotten_tomatoes``, ``sst2``, ...) or the configured default;
- an upload: ``upload:<sha256 prefix>.<ext>``, a file a user gave the page, stored in the
  run store (``$ROBUSTPRUNE_HOME/uploads``) under its content hash, beside its file name
  (``<hash>.<ext>.name``, what messages call it); checked as it arrives (a refused one is not
  kept), the newest ``KEPT_UPLOADS`` (``KEPT_UPLOADS_MB`` together) kept;
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
# a file's name, never a hub repository's: refused as a model before any file is looked at, so that
# ?model=tests/conftest.py (there) and ?model=tests/nosuch.py (not there) get the same message
FILE_NAME = re.compile(r".*\.(py|pyc|json|jsonl|txt|csv|tsv|parquet|bin|safetensors|pt|pth|ckpt|h5|msgpack|onnx|npy|npz"
                       r"|pkl|pickle|toml|ya?ml|cfg|ini|conf|md|rst|sh|sqlite|db|log|html?|zip|tar|gz|bz2|xz|lock|env)",
                       re.IGNORECASE)
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
    from robustprune.models.registry import HUB_PREFIX, MODELS

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
    if FILE_NAME.fullmatch(name):
        raise refused_model(name)
    repo_id = name.removeprefix(HUB_PREFIX)
    if HUB_ID.fullmatch(repo_id) and ".." not in repo_id:
        # a hub id, whether or not a folder of that name is here: loaded through huggingface_hub, never from the
        # server's current directory, so the answer says nothing about the server's files
        return HUB_PREFIX + repo_id
    raise refused_model(name)


def store_upload(content, filename: str) -> str:
    """Keep an uploaded dataset file in the run store under its content hash; returns its name for the pages.

    ``content``: the bytes, or a binary file object (Streamlit's upload), copied a chunk at a time. A file of
    another type, or one that is not readable as its type says (checked on its first ``CHECKED_ROWS`` rows), is
    refused, named by ``filename``, and not kept. Of the uploads, the newest ``KEPT_UPLOADS`` (and at most
    ``KEPT_UPLOADS_MB`` together) are kept; older ones are removed (``bound_uploads``).
    """
    import shutil

    shown = Path(filename).name[:100] or "upload"
    suffix = Path(shown).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise RobustPruneError(f"{shown}: unsupported file type {suffix or '(none)'}; upload a "
                               f"{', '.join(UPLOAD_SUFFIXES)} file")
    folder = uploads_folder()
    partial = folder / f".partial-{os.getpid()}-{os.urandom(4).hex()}{suffix}"
    try:
        with open(partial, "wb") as stream:
            if isinstance(content, (bytes, bytearray, memoryview)):
                stream.write(content)
            else:
                content.seek(0)
                shutil.copyfileobj(content, stream, 1 << 20)
        check_upload(partial, shown)
        name = f"{file_sha256(partial)[:16]}{suffix}"
        os.replace(partial, folder / name)
    finally:
        partial.unlink(missing_ok=True)
    (folder / f"{name}.name").write_text(shown, encoding="utf-8")  # its file name, for messages
    bound_uploads(keep=name)
    return UPLOAD_PREFIX + name


CHECKED_ROWS = 1000  # an upload's rows read when it arrives; the rest is read (and checked) when it is used
KEPT_UPLOADS = 20  # uploads kept in the run store, newest first ...
KEPT_UPLOADS_MB = 500  # ... and at most this many MB of them together


def check_upload(path: Path, shown: str) -> None:
    """Refuse an upload that cannot be read as the type its name says, naming it by ``shown`` (never the store's
    path on the server)."""
    from robustprune.data import files

    try:
        if path.suffix == ".parquet":
            files.read_parquet(path, "", "")  # the schema: a file that is not Parquet fails
            return
        reader = files.read_csv if path.suffix == ".csv" else files.read_json
        columns, records, _ = reader(path, CHECKED_ROWS)
    except RobustPruneError as error:
        raise RobustPruneError(str(error).replace(str(path), shown)) from None
    if not records:
        raise RobustPruneError(f"{shown}: has the columns {', '.join(map(str, columns)) or 'none'} but no rows")


def bound_uploads(keep: str | None = None) -> list[str]:
    """Remove the oldest uploads past ``KEPT_UPLOADS`` files or ``KEPT_UPLOADS_MB`` together (``keep``, the one just
    uploaded, stays); returns the names removed."""
    folder = uploads_folder()
    stored = sorted((path for path in folder.iterdir() if UPLOAD_NAME.fullmatch(path.name)),
                    key=lambda path: (path.name != keep, -path.stat().st_mtime))
    removed, total = [], 0
    for count, path in enumerate(stored, 1):
        total += path.stat().st_size
        if path.name != keep and (count > KEPT_UPLOADS or total > KEPT_UPLOADS_MB * 1e6):
            path.unlink(missing_ok=True)
            (folder / f"{path.name}.name").unlink(missing_ok=True)
            removed.append(path.name)
    return removed


def without_server_paths(message: str) -> str:
    """``message`` with each upload's path in the run store replaced by the upload's file name, and any other path
    in the run store by "the run store": what a page may show."""
    folder = uploads_folder()
    for path in folder.iterdir():
        if UPLOAD_NAME.fullmatch(path.name) and str(path) in message:
            label = folder / f"{path.name}.name"
            message = message.replace(str(path), label.read_text(encoding="utf-8") if label.is_file() else path.name)
    return message.replace(str(paths.home()), "the run store")


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


__all__ = ["DATA_DIR_ENV", "data_folder", "dataset_source", "model_source", "store_upload", "bound_uploads",
           "without_server_paths", "data_files",
           "data_models", "uploads", "inside_data_folder"]
