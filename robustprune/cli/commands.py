"""The commands but the sweep: each builds a request (``robustprune.requests``) from its flags and runs it, and
returns what ``--json`` prints."""

from __future__ import annotations

import sys
from dataclasses import asdict

from robustprune.cli.arguments import DEFAULT_FLOPS_REDUCTION, DEFAULT_SPARSITY, attack_config, split_list
from robustprune.cli.attack_printout import print_attack_run
from robustprune.errors import RobustPruneError

def load_data(args):
    from robustprune.data import load_task_data

    return load_task_data(args.dataset, args.text_column, args.label_column)


def data_ref(args):
    """The dataset flags as a request carries them."""
    from robustprune.requests import DataRef

    return DataRef(args.dataset, args.text_column, args.label_column)


def finetune_config(args):
    from robustprune.finetune import FinetuneConfig

    overrides = {"epochs": args.epochs, "seed": args.finetune_seed}
    if args.learning_rate is not None:
        overrides["learning_rate"] = args.learning_rate
    return FinetuneConfig(**overrides)


def progress_for(args):
    from robustprune.progress import TqdmProgress

    return TqdmProgress()


def command_finetune(args) -> dict:
    from robustprune.requests import FinetuneRequest

    request = FinetuneRequest(args.model, data_ref(args), finetune_config(args))
    result = request.run(data=load_data(args), device=args.device, progress=progress_for(args))
    if not args.json:
        source = "cached" if result.cached else f"trained in {result.seconds:.0f} s on {result.device}"
        print(f"{result.run_id}: {result.model} on {result.dataset}, test accuracy {result.accuracy:.2%} ({source})")
    return asdict(result)


def command_prune_structured(args) -> dict:
    from robustprune.requests import StructuredRequest
    from robustprune.structured import KPruneConfig

    flops_reduction = DEFAULT_FLOPS_REDUCTION if args.flops_reduction is None else args.flops_reduction
    overrides = {"flops_reduction": flops_reduction, "seed": args.seed}
    if args.sample_tokens is not None:
        overrides["sample_tokens"] = args.sample_tokens
    request = StructuredRequest(args.model, data_ref(args), args.method, KPruneConfig(**overrides), args.dense,
                                finetune_config(args), soup_config(args) if args.dense == "soup" else None)
    run = request.run(data=load_data(args), device=args.device, progress=progress_for(args))
    if not args.json:
        result = run.result
        print(f"{run.run_id}: {run.method} on {run.model}/{run.dataset}"
              f"{' (cached)' if run.cached else f' in {run.prune_seconds:.1f} s on {run.device}'}")
        print(f"  FLOPs {result.flops_before:,} -> {result.flops_after:,} ({result.flops_ratio:.1%}, target "
              f"{1 - result.flops_reduction:.1%}) at {result.seq_len} tokens; parameters {result.params_before:,} "
              f"-> {result.params_after:,}")
        print(f"  accuracy dense {run.accuracy_dense:.2%} -> pruned {run.accuracy_sparse:.2%}")
        print(f"  heads kept per layer   {result.heads_kept} of {result.heads_before}")
        print(f"  neurons kept per layer {result.neurons_kept} of {result.neurons_before}")
    return run.to_dict()


def refuse_flags_of_the_other_kind(args, structured: bool) -> None:
    """A structured method's budget is FLOPs, an unstructured one's a sparsity: a flag of the other kind would be
    ignored without a word (and the cached run of the default budget printed), so it is an error."""
    if structured:
        given = {"--sparsity": args.sparsity is not None, "--pattern": args.pattern is not None,
                 "--refit-head": bool(args.refit_head), "--calibration-adversarial": bool(args.calibration_adversarial)}
        kind, budget = "structured", "--flops-reduction (with --sample-tokens)"
    else:
        given = {"--flops-reduction": args.flops_reduction is not None,
                 "--sample-tokens": args.sample_tokens is not None}
        kind, budget = "unstructured", "--sparsity or --pattern"
    if wrong := [flag for flag, passed in given.items() if passed]:
        verb = "does" if len(wrong) == 1 else "do"
        raise RobustPruneError(f"{', '.join(wrong)} {verb} not apply to {args.method} ({kind} pruning); its budget is "
                               f"{budget}")


def command_prune(args) -> dict:
    from robustprune.prune import PruneConfig
    from robustprune.requests import PruneRequest
    from robustprune.structured import METHODS as STRUCTURED_METHODS

    if args.method is None:
        raise RobustPruneError("which method? pass --method (e.g. --method krp) or --preset paper")
    structured = args.method in STRUCTURED_METHODS
    refuse_flags_of_the_other_kind(args, structured)
    if structured:
        return command_prune_structured(args)

    config = PruneConfig(method=args.method, sparsity=DEFAULT_SPARSITY if args.sparsity is None else args.sparsity,
                         pattern=args.pattern, calibration=args.calibration, heldout=args.heldout, seed=args.seed,
                         refit_head=args.refit_head, calibration_adversarial=args.calibration_adversarial,
                         adversarial_recipes=split_list(args.adversarial_recipes))
    request = PruneRequest(args.model, data_ref(args), config, args.dense, finetune_config(args),
                           soup_config(args) if args.dense == "soup" else None)
    result = request.run(data=load_data(args), device=args.device, progress=progress_for(args))
    if not args.json:
        print_prune_result(result)
    return result.to_dict()


def soup_config(args):
    from robustprune.soup import SoupConfig

    return SoupConfig(candidates=args.candidates, base=finetune_config(args), criterion=args.criterion,
                      attack_recipe=args.criterion_recipe, attack_examples=args.criterion_examples)


CRITERION_WORDS = {"clean": "clean accuracy", "attack": "accuracy under attack"}


def command_soup(args) -> dict:
    from robustprune.requests import SoupRequest

    request = SoupRequest(args.model, data_ref(args), soup_config(args))
    result = request.run(data=load_data(args), device=args.device, progress=progress_for(args))
    if not args.json:
        source = "cached" if result.cached else f"built in {result.seconds:.0f} s on {result.device}"
        print(f"{result.run_id}: soup of {result.kept} of {len(result.candidates)} candidates, {result.model} on "
              f"{result.dataset} ({source}); chosen by {CRITERION_WORDS[result.criterion]} on "
              f"{result.heldout_examples} held-out training texts")
        print(f"  {'candidate':<22} {'lr':>8} {'epochs':>6} {'max len':>7} {'held-out':>8} {'test':>7}  kept")
        for candidate in result.candidates:
            config = candidate.config
            print(f"  {candidate.run_id:<22} {config['learning_rate']:>8.1e} {config['epochs']:>6g} "
                  f"{config['max_length']:>7} {candidate.heldout_accuracy:>8.2%} {candidate.test_accuracy:>7.2%}  "
                  f"{'yes' if candidate.kept else 'no'}")
        print(f"  {'soup':<22} {'':>8} {'':>6} {result.max_length:>7} {result.soup_heldout_accuracy:>8.2%} "
              f"{result.soup_test_accuracy:>7.2%}")
    return result.to_dict()


def print_prune_result(result) -> None:
    print(f"{result.run_id}: {result.method} on {result.model}/{result.dataset}"
          f"{' (cached)' if result.cached else f' in {result.prune_seconds:.1f} s on {result.device}'}")
    print(f"  sparsity {result.sparsity:.4f} (target {result.target_sparsity:.4f}) over the encoder's Linear "
          f"layers; left dense: {', '.join(result.dense_parts)}")
    print(f"  accuracy dense {result.accuracy_dense:.2%} -> sparse {result.accuracy_sparse:.2%}")
    if result.adversarial_calibration_texts:
        print(f"  calibration: {result.config['calibration']} training texts + {result.adversarial_calibration_texts} "
              f"adversarial ones ({result.adversarial_calibration_flipped} of them flip the dense model; attack runs "
              f"{', '.join(result.adversarial_attack_run_ids)})")
    if result.collapse is not None and result.collapse.collapsed:
        print(f"  COLLAPSED: the pruned model {result.collapse.reason}; an accuracy under attack would not be "
              "robustness")
    print(f"  {'layer':<48} {'sparsity':>8} {'local err':>10} {'e2e err':>10}")
    for layer in result.layers:
        print(f"  {layer.name:<48} {layer.sparsity:>8.4f} {layer.reconstruction_error_local:>10.4f} "
              f"{layer.reconstruction_error_e2e:>10.4f}")


def command_attack(args) -> dict:
    from robustprune.attack.runs import DENSE_TARGET
    from robustprune.attack.texts import read_texts
    from robustprune.requests import AttackRequest

    texts = None
    if args.texts:
        # only the texts attacked are read (and labelled): -n 2 of a million-line file reads 2 of them
        texts = read_texts(args.texts, args.text_column, args.label_column, labels_required=args.label_column != "label",
                           limit=args.n)
    config = attack_config(args, args.recipe)
    if texts is not None:
        config.validate(len(texts.texts))  # before any dataset or model is loaded
    if args.run is not None:
        refuse_unattackable_run(args.run)
    request = AttackRequest(DENSE_TARGET if args.dense else args.run, config, args.model,
                            data_ref(args) if args.dataset else None, texts, finetune_config(args))
    run = request.run(device=args.device, progress=progress_for(args))
    if not args.json:
        print_attack_run(run, texts, args.examples)
    return run.to_dict()


def refuse_unattackable_run(run_id: str) -> None:
    """A run id that is not cached, or names a run that cannot be attacked (an attack, an attribution, ...), fails
    naming runs that can be: dense ones and pruning runs, a close match first. A damaged run is left to ``attack``,
    which says so."""
    from robustprune.attack.runs import ATTACKABLE_KINDS
    from robustprune.store import RunStore

    store = RunStore()
    if store.damage(run_id, verify=False) is not None:
        return
    record = store.get(run_id)
    if record is not None and record.kind in ATTACKABLE_KINDS:
        return
    suggested = store.suggestions(run_id, ATTACKABLE_KINDS)
    problem = (f"no cached run {run_id!r}" if record is None else
               f"run {run_id!r} is of kind '{record.kind}', which cannot be attacked")
    if not suggested:
        raise RobustPruneError(f"{problem}; nothing cached can be attacked yet: pass --dense (fine-tunes the dense "
                               "model if needed), or make a pruning run with `robustprune prune --method krp`")
    raise RobustPruneError(f"{problem}; pass --dense or the id of a dense or pruning run "
                           f"(`robustprune runs` lists them), e.g. {', '.join(suggested)}")


def run_detail(kind: str, summary: dict) -> str:
    """One line of the numbers that matter for a run of this kind."""
    if kind == "prune":
        return f"sparsity {summary['sparsity']:.3f}  accuracy {summary['accuracy_sparse']:.1%}"
    if kind == "structured":
        return f"FLOPs x{summary['flops_ratio']:.2f}  accuracy {summary['accuracy_sparse']:.1%}"
    if kind == "attack":
        return (f"{summary['recipe']} on {summary['target_run_id']}: accuracy under attack "
                f"{summary['accuracy_under_attack']:.1%} (clean {summary['clean_accuracy']:.1%})")
    if kind == "attribution":
        return f"example {summary['example']} of {summary['attack_run_id']} explained"
    if kind == "layer-auc":
        return (f"per-layer AUC of {summary['attack_run_id']}: {summary['positives']} sparse-only flips, "
                f"{summary['negatives']} others")
    if kind == "frontier":
        return " | ".join(summary.get("lines", []))
    if kind == "projection":
        return f"2-D projection of {summary['attack_run_id']}: {summary['pairs']} pairs, {', '.join(summary['models'])}"
    accuracy = summary.get("accuracy", summary.get("soup_test_accuracy"))
    return f"accuracy {accuracy:.1%}" if isinstance(accuracy, float) else ""


def command_runs(args) -> dict:
    from robustprune.labels import run_method_label
    from robustprune.store import RUN_KINDS, STORED_KINDS, RunStore

    if args.kind is not None and args.kind not in STORED_KINDS:
        raise RobustPruneError(f"unknown kind {args.kind!r}; use one of {', '.join(RUN_KINDS)}")
    store = RunStore()
    if args.reindex:
        report, folders = store.reindex()
        print(f"robustprune: reindexed: {report.line(folders)}", file=sys.stderr)
    records = store.list(kind=args.kind, include_damaged=True)
    if args.verify:
        for record in records:
            record.damage = record.damage or store.damage(record.run_id, verify=True)
    rows = [{"run_id": r.run_id, "kind": r.kind, "model": r.model, "dataset": r.dataset, "method": r.method,
             "label": run_method_label(r), "parent": r.parent, "created": r.created, "summary": r.summary,
             "damage": r.damage} for r in records]
    if not args.json:
        if not rows:
            print(f"no cached {args.kind} runs" if args.kind else
                  "no cached runs yet; try `robustprune prune --method krp --sparsity 0.5`")
        print_runs(rows)
    return {"runs": rows}


def print_runs(rows: list[dict]) -> None:
    """One line a run, in columns as wide as their longest value: id, kind, model, dataset, method, the numbers."""
    columns = ("run_id", "kind", "model", "dataset", "label")
    widths = {column: max((len(row[column] or "") for row in rows), default=0) for column in columns}
    for row in rows:
        detail = (f"DAMAGED ({row['damage']}): treated as missing, computed again when asked for"
                  if row["damage"] else run_detail(row["kind"], row["summary"]))
        print(" ".join(f"{row[column] or '':<{widths[column]}}" for column in columns) + f" {detail}")


def command_report(args) -> dict:
    from robustprune.output_files import checked_output
    from robustprune.report import write_report

    output = checked_output(args.output, "-o", "report.html").named
    if args.examples is not None and args.examples < 0:
        raise RobustPruneError(f"--examples must be 0 or more, got {args.examples}")
    if args.overview and (args.examples is not None or args.compute):
        flags = " and ".join(flag for flag, given in (("--examples", args.examples is not None),
                                                      ("--compute", args.compute)) if given)
        raise RobustPruneError(f"{flags} apply to --run and --attack reports; the overview shows the trade-off curves "
                               "of every run, without examples")
    path = write_report(output, run=args.run, attack=args.attack, overview=args.overview, examples=args.examples,
                        compute=args.compute)
    streamed = not path.is_file() or str(path).startswith(("/dev/", "/proc/"))  # no size; stdout may be the report
    size_mb = None if streamed else path.stat().st_size / 1e6
    if not args.json:
        print(f"wrote {path}" + ("" if streamed else f" ({size_mb:.1f} MB)") + ": open it in any browser, no "
              "network needed", file=sys.stderr if streamed else sys.stdout)
    return {"path": str(path), "size_mb": size_mb}


def command_models(args) -> dict:
    from robustprune.models import MODELS

    for spec in MODELS.values():
        print(f"{spec.name:<26} {spec.summary}")
    return {}


def command_datasets(args) -> dict:
    from robustprune.data import DATASETS

    for spec in DATASETS.values():
        print(f"{spec.name:<18} {spec.summary}")
    return {}


def command_worker(args) -> dict:
    import os

    from robustprune.jobs import JobQueue

    queue = JobQueue()
    if args.once:
        finished = queue.work(once=True)
        print(f"ran {finished} queued job(s)" if finished else "no queued jobs")
        return {"finished": finished}
    pid = os.getpid()
    until = f"; it exits after process {args.parent} has, once no job is left" if args.parent else ""
    def say_waiting() -> None:  # flushed: the dashboard's worker writes to a log file
        print(f"robustprune worker (pid {pid}): waiting for jobs queued in {queue.store.root}; stop it with Ctrl-C "
              f"or `kill {pid}`{until}", flush=True)

    try:  # a Ctrl-C that comes while the line is still being written stops it as quietly
        finished = queue.work(parent_pid=args.parent, on_ready=say_waiting)
    except KeyboardInterrupt:
        print(f"robustprune worker (pid {pid}): stopped", flush=True)
        return {}
    print(f"robustprune worker (pid {pid}): process {args.parent} has exited and no job is left; ran {finished} "
          "job(s), exiting", flush=True)
    return {"finished": finished}
