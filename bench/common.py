"""Helpers shared by the benchmarks: wall time and peak memory of one call."""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import platform
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import torch


@dataclass
class Measurement:
    seconds: float
    peak_memory_mb: float  # above the level before the call: RSS on CPU, allocated memory on GPU


def measure(function, device: torch.device) -> tuple[object, Measurement]:
    """Run ``function()`` once; wall time and peak extra memory while it ran."""
    if device.type == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        before = torch.cuda.memory_allocated()
        start = time.perf_counter()
        result = function()
        torch.cuda.synchronize()
        return result, Measurement(time.perf_counter() - start, (torch.cuda.max_memory_allocated() - before) / 2**20)
    process = psutil.Process(os.getpid())
    release_free_memory()
    baseline = process.memory_info().rss
    peak = [baseline]
    running = [True]

    def sample():
        while running[0]:
            peak[0] = max(peak[0], process.memory_info().rss)
            time.sleep(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    try:
        result = function()
    finally:
        seconds = time.perf_counter() - start
        running[0] = False
        sampler.join()
    return result, Measurement(seconds, (peak[0] - baseline) / 2**20)


def release_free_memory() -> None:
    """Hand memory freed by earlier calls back to the OS (glibc keeps it otherwise), so that RSS above the
    baseline is what this call needs, not what an earlier call left behind."""
    gc.collect()
    library = ctypes.util.find_library("c")
    if library:
        try:
            ctypes.CDLL(library).malloc_trim(0)
        except AttributeError:  # not glibc
            pass


def machine_line(device: torch.device) -> str:
    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)}, torch {torch.__version__}"
    return f"{platform.processor() or platform.machine()} CPU, {torch.get_num_threads()} threads, torch {torch.__version__}"


def local_ray_env(folder: Path) -> dict:
    """The environment for a Ray cluster a benchmark starts on this machine: a fresh token in ``folder``
    (Ray 2.5x keeps token authentication on; every process of the cluster reads the same file)."""
    token = Path(folder) / "ray-token"
    token.write_text(secrets.token_hex(32))
    return {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN_PATH": str(token), "RAY_USAGE_STATS_ENABLED": "0"}
