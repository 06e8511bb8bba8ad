"""What each kind of job does: the handler a worker calls with the job's parameters and a progress callback.

A handler returns the id of the run it made (or found cached); ``robustprune.jobs`` runs them. A new kind of
job is one function here and one line in ``HANDLERS``.
"""

from __future__ import annotations

from typing import Callable

from robustprune.errors import RobustPruneError


def job_data(params: dict):
    from robustprune.data import load_task_data

    return load_task_data(params["dataset"], params.get("text_column", "text"), params.get("label_column", "label"))


def run_prune_job(params: dict, progress) -> str:
    from robustprune.finetune import FinetuneConfig
    from robustprune.pipeline import prune
    from robustprune.prune import PruneConfig

    dense = params.get("dense", "finetune")
    result = prune(PruneConfig(**params["prune"]), params["model"], job_data(params), params.get("device", "auto"),
                   FinetuneConfig(**params.get("finetune", {})), progress=progress, dense=dense,
                   soup_config=job_soup_config(params) if dense == "soup" else None)
    return result.run_id


def run_structured_job(params: dict, progress) -> str:
    from robustprune.finetune import FinetuneConfig
    from robustprune.structured import KPruneConfig
    from robustprune.structured.runs import prune_structured

    dense = params.get("dense", "finetune")
    structured = params["structured"]
    run = prune_structured(structured["method"], KPruneConfig(**structured["config"]), params["model"],
                           job_data(params), params.get("device", "auto"), FinetuneConfig(**params.get("finetune", {})),
                           progress=progress, dense=dense,
                           soup_config=job_soup_config(params) if dense == "soup" else None)
    return run.run_id


def run_finetune_job(params: dict, progress) -> str:
    from robustprune.finetune import FinetuneConfig
    from robustprune.pipeline import ensure_dense

    return ensure_dense(params["model"], job_data(params), FinetuneConfig(**params.get("finetune", {})),
                        params.get("device", "auto"), progress=progress).run_id


def job_soup_config(params: dict):
    """The soup of a job: ``params["soup"]`` (SoupConfig fields) over ``params["finetune"]`` as its base."""
    from robustprune.soup import SoupConfig

    return SoupConfig.from_dict({"base": params.get("finetune", {}), **params.get("soup", {})})


def run_soup_job(params: dict, progress) -> str:
    from robustprune.soup import ensure_soup

    return ensure_soup(params["model"], job_data(params), job_soup_config(params), params.get("device", "auto"),
                       progress=progress).run_id


def run_sweep_job(params: dict, progress) -> str | None:
    """A sweep (``robustprune.sweep``): its cells' states go to the job's ``sweep_cells`` rows as they change.

    Failed cells do not stop the others; the job then fails with their reasons, and submitting it again
    computes only what is still missing."""
    from robustprune.sweep import SweepSpec, make_executor, run_sweep
    from robustprune.sweep.events import JobEvents

    spec = SweepSpec.from_dict(params["spec"])
    executor = make_executor(params.get("ray"), spec.device)
    from robustprune.jobs import JobProgress

    in_job = isinstance(progress, JobProgress)
    try:
        result = run_sweep(spec, store=progress.queue.store if in_job else None, executor=executor,
                           shard_size=params.get("shard_size"),
                           events=JobEvents(progress.queue, progress.job_id, progress) if in_job else None)
    finally:
        getattr(executor, "shutdown", lambda: None)()
    if result.failures:
        reasons = "; ".join(f"{state.label}: {(state.error or '').splitlines()[0]}" for state in result.failures[:3])
        raise RobustPruneError(f"{len(result.failures)} of {len(result.plan.cells)} runs failed ({reasons}); "
                               "the others are cached, and Retry computes only what is missing")
    return None


def run_attack_job(params: dict, progress) -> str:
    from robustprune.attack import AttackConfig
    from robustprune.attack.runs import attack
    from robustprune.attack.texts import AttackTexts

    dataset = job_data(params) if params.get("dataset") else None
    given = params.get("texts")  # the user's own texts (AttackTexts.to_dict()), or none: the test split
    texts = AttackTexts.from_dict(given) if given else None
    return attack(params["target"], AttackConfig(**params["attack"]), params.get("model", "minilm"), dataset,
                  params.get("device", "auto"), progress=progress, texts=texts).run_id


def run_attribution_job(params: dict, progress) -> str:
    """One attack example explained: attributions and per-layer cosine (``robustprune.attack.explain``)."""
    from robustprune.attack.attribution import IGSettings
    from robustprune.attack.explain import explain_example

    return explain_example(params["attack"], int(params["example"]), IGSettings(**params.get("ig", {})),
                           device=params.get("device", "auto"), progress=progress).run_id


def run_layer_auc_job(params: dict, progress) -> str:
    """The per-layer AUC of an attack run (``robustprune.attack.layer_auc``)."""
    from robustprune.attack.layer_auc import ensure_layer_auc

    return ensure_layer_auc(params["attack"], device=params.get("device", "auto"), progress=progress).run_id


def run_projection_job(params: dict, progress) -> str:
    """The 2-D projection of an attack run's pairs (``robustprune.attack.projection``)."""
    from robustprune.attack.projection import ensure_projection

    return ensure_projection(params["attack"], device=params.get("device", "auto"), progress=progress).run_id


# kind -> function(params, progress) -> run id; other modules register theirs (e.g. attacks)
HANDLERS: dict[str, Callable[[dict, Callable], str]] = {
    "prune": run_prune_job, "structured": run_structured_job, "finetune": run_finetune_job, "soup": run_soup_job,
    "attack": run_attack_job, "attribution": run_attribution_job, "layer-auc": run_layer_auc_job,
    "projection": run_projection_job, "sweep": run_sweep_job}
RERUN_WHEN_DONE = ("sweep",)  # kinds whose "done" is no cache of their own: submitting again checks again
