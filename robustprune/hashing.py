"""SHA-256 of files, computed once per file version in a process.

A file version is (path, size, modification time in ns): a rewrite changes the time, so a
cached digest is never served for changed content that was written through the file
system. The run store's manifests, a local model folder's cache key and a dataset file's
fingerprint all hash through here.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

CHUNK_BYTES = 1 << 20
_digests: dict[tuple[str, int, int], str] = {}
_guard = threading.Lock()  # Streamlit serves sessions from threads


def file_version(path: Path | str) -> tuple[str, int, int]:
    stat = os.stat(path)
    return os.path.abspath(path), stat.st_size, stat.st_mtime_ns


def file_sha256(path: Path | str) -> str:
    """The hex SHA-256 of a file's content; computed once per (path, size, mtime_ns) in this process."""
    version = file_version(path)
    with _guard:
        known = _digests.get(version)
    if known is not None:
        return known
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK_BYTES), b""):
            digest.update(chunk)
    with _guard:
        _digests[version] = digest.hexdigest()
    return _digests[version]


def remember(path: Path | str, sha256: str) -> None:
    """Record a digest already known for the file as it is now (e.g. hashed under another name before a rename)."""
    with _guard:
        _digests[file_version(path)] = sha256


__all__ = ["file_sha256", "file_version", "remember"]
