"""A run's manifest: the size and SHA-256 of every file the run was written with.

``manifest.json`` lies in the run's folder and is written inside the store's atomic
write, so a finished run always has one. A run is checked against it in two depths:

- ``size_damage``: every listed file is there with its size (a few ``stat`` calls: on every
  lookup of a run, and for every run a page lists);
- ``content_damage``: every file also hashes to its digest (when a run's artifacts are about
  to be used: a cache hit, a model loaded, a page reading its tables). Digests are cached per
  file version, so a long-running process hashes a file once.

A manifest covers the folder: a file it does not list is damage, and so is a manifest that
lists nothing (every run has its ``summary.json``). The store's own record of the run
(``run.json``, ``robustprune.run_folder``) is not listed: it holds the manifest's digest, so
a manifest replaced or deleted after the run was written is damage too.

Runs written before manifests existed have none (and their ``run.json``, if any, says so).
They are checked by format instead (a safetensors file's header against the file's length, a
Parquet file's magic markers at both ends, and on the deep check every JSON file parses); the
first deep check that passes writes their manifest (trust on first use), and from then on they
are checked like any other run. A run whose ``run.json`` names a manifest is never trusted
that way: its missing manifest is damage.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from pathlib import Path

from robustprune.hashing import file_sha256, file_version
from robustprune.run_folder import RUN_RECORD, read_run_record

MANIFEST = "manifest.json"
MANIFEST_VERSION = 1
_parsed: dict[tuple[str, int, int], tuple[dict, list[tuple[str, int]]]] = {}
_guard = threading.Lock()


STORE_FILES = (MANIFEST, RUN_RECORD)  # the store's own files in a run's folder, never listed in its manifest


def run_files(folder: Path) -> list[Path]:
    """Every regular file of a run's folder (recursively), the store's own files (and their temporary copies while
    they are written) excepted."""
    def own(name: str) -> bool:
        return name in STORE_FILES or any(name.startswith(f".{own_file}.") for own_file in STORE_FILES)

    return sorted(path for path in folder.rglob("*") if path.is_file() and not own(path.relative_to(folder).as_posix()))


def write_manifest(folder: Path) -> dict:
    """Hash every file of ``folder`` and write ``manifest.json`` atomically; returns the manifest."""
    files = {path.relative_to(folder).as_posix(): {"size": path.stat().st_size, "sha256": file_sha256(path)}
             for path in run_files(folder)}
    manifest = {"version": MANIFEST_VERSION, "files": files}
    partial = folder / f".{MANIFEST}.{os.getpid()}.{uuid.uuid4().hex[:8]}"
    partial.write_text(json.dumps(manifest, indent=1, sort_keys=True))
    os.replace(partial, folder / MANIFEST)
    return manifest


def read_manifest(folder: Path | str) -> dict | None:
    """The manifest of ``folder`` (parsed once per file version), None when there is none.

    Raises ValueError when it exists but cannot be read as a manifest.
    """
    parsed = _parsed_manifest(folder)
    return None if parsed is None else parsed[0]


def _parsed_manifest(folder: Path | str) -> tuple[dict, list[tuple[str, int]]] | None:
    """(manifest, (name, size) of each file) of ``folder``, parsed once per file version of the manifest."""
    path = os.path.join(folder, MANIFEST)
    try:
        version = file_version(path)
    except FileNotFoundError:
        return None
    with _guard:
        if version in _parsed:
            return _parsed[version]
    try:
        with open(path, encoding="utf-8") as handle:
            manifest = json.load(handle)
        if not isinstance(manifest.get("files"), dict):
            raise ValueError("no 'files'")
        parsed = manifest, [(name, entry["size"]) for name, entry in manifest["files"].items()]
    except (OSError, ValueError, AttributeError, KeyError, TypeError) as error:
        raise ValueError(f"{MANIFEST} is unreadable ({error})") from None
    with _guard:
        _parsed[version] = parsed
    return parsed


def size_damage(folder: Path | str) -> str | None:
    """What is wrong with a run's files by their sizes (a missing or truncated file), or None.

    One ``stat`` per file, on string paths (``pathlib``'s parsing took longer than the ``stat`` calls): a listing
    of a thousand runs checks several thousand files."""
    try:
        parsed = _parsed_manifest(folder)
    except ValueError as error:
        return str(error)
    if parsed is None:
        return missing_manifest_damage(folder) or format_damage(Path(folder), deep=False)
    if not parsed[1]:
        return f"{MANIFEST} lists no files"
    root = os.fspath(folder)
    for name, written in parsed[1]:
        try:
            size = os.stat(f"{root}/{name}").st_size
        except OSError:
            return f"{name} is missing"
        if size != written:
            return f"{name} has {size:,} bytes where {written:,} were written"
    return None


def content_damage(folder: Path) -> str | None:
    """What is wrong with a run's files by their content (sizes, then SHA-256), or None.

    A run without a manifest that passes the format checks gets one now.
    """
    try:
        manifest = read_manifest(folder)
    except ValueError as error:
        return str(error)
    if manifest is None:
        damage = missing_manifest_damage(folder) or format_damage(folder, deep=True)
        if damage is None:
            write_manifest(folder)
        return damage
    damage = size_damage(folder)
    if damage is not None:
        return damage
    unlisted = [name for name in (path.relative_to(folder).as_posix() for path in run_files(folder))
                if name not in manifest["files"]]
    if unlisted:
        return f"{unlisted[0]} is not in {MANIFEST} (not written with the run)"
    for name, entry in manifest["files"].items():
        if file_sha256(folder / name) != entry["sha256"]:
            return f"{name} does not hash to what was written (same size, other bytes)"
    record = read_run_record(folder)
    if record is not None and record.get("manifest_sha256") not in (None, file_sha256(folder / MANIFEST)):
        return f"{MANIFEST} is not the one the run was written with"
    return None


def missing_manifest_damage(folder: Path | str) -> str | None:
    """A run without a manifest whose ``run.json`` says it was written with one: its manifest was lost (never
    trusted on first use). None for a run written before manifests."""
    record = read_run_record(folder)
    if record is not None and record.get("manifest_sha256"):
        return f"{MANIFEST} is missing"
    return None


def format_damage(folder: Path, deep: bool) -> str | None:
    """The checks a run written without a manifest gets: each file against its own format."""
    for path in run_files(folder):
        name = path.relative_to(folder).as_posix()
        try:
            if path.suffix == ".safetensors":
                damage = safetensors_damage(path)
            elif path.suffix == ".parquet":
                damage = parquet_damage(path)
            elif deep and path.suffix == ".json":
                json.loads(path.read_text(encoding="utf-8"))
                damage = None
            else:
                damage = None
        except (OSError, ValueError) as error:
            damage = f"cannot be read ({type(error).__name__})"
        if damage is not None:
            return f"{name} {damage}"
    return None


def safetensors_damage(path: Path) -> str | None:
    """A safetensors file is an 8-byte header length, a JSON header, then the tensors' bytes: the header's
    largest data offset fixes the file's length."""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        header_bytes = int.from_bytes(handle.read(8), "little")
        if size < 8 or 8 + header_bytes > size:
            return f"is truncated ({size:,} bytes, shorter than its header)"
        header = json.loads(handle.read(header_bytes))
    end = max((entry["data_offsets"][1] for name, entry in header.items() if name != "__metadata__"), default=0)
    if 8 + header_bytes + end != size:
        return f"has {size:,} bytes where its header describes {8 + header_bytes + end:,}"
    return None


def parquet_damage(path: Path) -> str | None:
    """A Parquet file starts and ends with the magic bytes PAR1 (its footer is at the end)."""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        start = handle.read(4)
        handle.seek(max(size - 4, 0))
        end = handle.read(4)
    return None if size >= 12 and start == end == b"PAR1" else f"is truncated ({size:,} bytes, no Parquet footer)"


__all__ = ["MANIFEST", "STORE_FILES", "write_manifest", "read_manifest", "size_damage", "content_damage", "format_damage",
           "run_files"]
