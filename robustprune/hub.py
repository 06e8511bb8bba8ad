"""The Hugging Face hub, asked only when it answers.

Offline, ``from_pretrained`` and ``load_dataset`` retry an unreachable hub with back-off
(about half a minute of "Retrying in 8s" lines for one model) before they fail or fall
back to the local cache. One short probe first decides: a hub that does not answer is
not asked, and the local cache answers at once.
"""

from __future__ import annotations

import os
import socket
import time
from contextlib import contextmanager
from urllib.parse import urlparse

SWITCHES = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE")
PROXIES = ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")
REMEMBER_SECONDS = 60.0  # one probe answers for the config, the weights and the tokenizer of one load
_last_probe: dict[str, tuple[float, bool]] = {}


def hub_reachable(timeout_seconds: float = 3.0) -> bool:
    """False when hub access is switched off or the hub's host does not answer within the timeout (the answer is
    remembered for a minute)."""
    from huggingface_hub import constants

    switched_off = {os.environ.get(name, "").lower() for name in SWITCHES}
    if constants.HF_HUB_OFFLINE or switched_off & {"1", "true", "yes", "on"}:
        return False
    endpoint = urlparse(constants.ENDPOINT)
    if not endpoint.hostname:
        return False
    if any(os.environ.get(name) for name in PROXIES):
        return True  # the hub is reached through a proxy, not directly: a direct probe would say nothing
    remembered = _last_probe.get(constants.ENDPOINT)
    if remembered is not None and time.monotonic() - remembered[0] < REMEMBER_SECONDS:
        return remembered[1]
    try:
        port = endpoint.port or (80 if endpoint.scheme == "http" else 443)
        with socket.create_connection((endpoint.hostname, port), timeout=timeout_seconds):
            reachable = True
    except OSError:
        reachable = False
    _last_probe[constants.ENDPOINT] = (time.monotonic(), reachable)
    return reachable


@contextmanager
def datasets_offline(offline: bool = True):
    """``datasets`` with hub access switched off inside the block (its cache only), as ``HF_HUB_OFFLINE=1`` would
    have done at import time."""
    import datasets.config
    from huggingface_hub import constants

    saved = datasets.config.HF_HUB_OFFLINE, constants.HF_HUB_OFFLINE
    if offline:
        datasets.config.HF_HUB_OFFLINE = constants.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        datasets.config.HF_HUB_OFFLINE, constants.HF_HUB_OFFLINE = saved


__all__ = ["hub_reachable", "datasets_offline"]
