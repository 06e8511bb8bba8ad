"""Device choice: ``auto`` takes the GPU when there is one."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import torch

from robustprune.errors import RobustPruneError

DEVICE_CHOICES = ("auto", "cpu", "cuda")


def check_device_name(name: str) -> None:
    """One line for a device name that is none of auto, cpu, cuda, cuda:N (before anything is loaded or read)."""
    if name not in DEVICE_CHOICES and not (name.startswith("cuda:") and name[5:].isdigit()):
        raise RobustPruneError(f"unknown device {name!r}; use one of {', '.join(DEVICE_CHOICES)} (or cuda:N)")


def resolve_device(name: str = "auto") -> torch.device:
    check_device_name(name)
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise RobustPruneError(f"device {name!r} asked for, but no CUDA GPU is visible; use --device cpu or auto")
    return torch.device(name)


def describe_device(device: torch.device) -> str:
    if device.type == "cuda":
        return f"GPU: {torch.cuda.get_device_name(device)}"
    return f"CPU ({torch.get_num_threads()} threads)"


@contextmanager
def reproducible_factorisation(device: torch.device) -> Iterator[None]:
    """One CPU thread for a Cholesky factor or a solve. MKL's LAPACK splits them by the number of
    threads and rounds differently for each split (its matrix products do not); OBS turns a
    last-bit difference into other mask choices, so a pruning run on a 1-CPU Ray task differed
    from the same run on 2 threads (K-prune's pseudo-inverse likewise). The matrices are a layer's
    in × in: for MiniLM 7 ms at 384 and 0.24 s at 1536 on one thread, about 2–3 s of a 30 s pruning run."""
    if device.type != "cpu":
        yield
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
