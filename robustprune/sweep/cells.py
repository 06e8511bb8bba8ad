"""Computing one cell of a sweep: the single request it stands for, against a given run store.

The same function runs in the local worker (against the user's store) and inside a Ray
task (against a scratch store holding only the runs the cell needs, shipped from the
driver: ``bundles.py``), so a cell's run is the run a single request makes, wherever it
was computed.
"""

from __future__ import annotations

from robustprune.data import TaskData
from robustprune.progress import Progress, silent
from robustprune.store import RunStore


def compute_cell(kind: str, params: dict, data: TaskData, store: RunStore, device: str = "auto",
                 progress: Progress = silent, concurrency: int | None = None) -> None:
    """Make the run of a cell (``plan.Cell``: its ``kind`` and ``params``) in ``store``; cached runs are reused."""
    from robustprune.finetune import FinetuneConfig

    finetune = FinetuneConfig(**params["finetune"]) if params.get("finetune") else None
    soup = _soup_config(params.get("soup"))
    if kind == "finetune" and "candidate" in params:
        from robustprune.soup import candidate_runs, ensure_candidate

        train_data, candidates = candidate_runs(data, soup)
        ensure_candidate(params["model"], train_data, candidates[params["candidate"]], device, store, progress)
    elif kind == "finetune":
        from robustprune.pipeline import ensure_dense

        ensure_dense(params["model"], data, finetune, device, store, progress)
    elif kind == "soup":
        from robustprune.soup import ensure_soup

        ensure_soup(params["model"], data, soup, device, store, progress)
    elif kind == "prune":
        from robustprune.pipeline import prune
        from robustprune.prune import PruneConfig

        prune(PruneConfig(**params["prune"]), params["model"], data, device, finetune, store, progress,
              dense=params["dense"], soup_config=soup)
    elif kind == "structured":
        from robustprune.structured import KPruneConfig
        from robustprune.structured.runs import prune_structured

        prune_structured(params["method"], KPruneConfig(**params["config"]), params["model"], data, device,
                         finetune, store, progress, dense=params["dense"], soup_config=soup)
    elif kind in ("attack-shard", "attack"):
        from robustprune.attack import AttackConfig
        from robustprune.attack.runs import attack

        config = AttackConfig(**params["attack"])
        if "texts" in params:  # given texts (adversarial calibration's training texts): one run, not sharded
            from robustprune.attack.texts import AttackTexts

            attack(params["target"], config, store=store, device=device, progress=progress, concurrency=concurrency,
                   texts=AttackTexts.from_dict(params["texts"]))
        elif kind == "attack-shard":
            attack(params["target"], config, dataset=data, device=device, store=store, progress=progress,
                   shards=[(params["start"], params["stop"])], concurrency=concurrency)
        else:
            shards = [tuple(pair) for pair in params["shards"]]
            attack(params["target"], config, dataset=data, device=device, store=store, progress=progress,
                   shard_size=_shard_size(shards), concurrency=concurrency)
    else:
        raise ValueError(f"unknown cell kind {kind!r}")


def _shard_size(shards: list[tuple[int, int]]) -> int | None:
    return None if len(shards) == 1 else shards[0][1] - shards[0][0]


def _soup_config(fields: dict | None):
    if not fields:
        return None
    from robustprune.soup import SoupConfig

    return SoupConfig.from_dict(fields)


__all__ = ["compute_cell"]
