"""The ``robustprune`` command line: thin wrappers over the library, one JSON object with ``--json``."""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from contextlib import contextmanager
from dataclasses import asdict

from robustprune.errors import RobustPruneError


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line (and exit code 2)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}\n")


def add_data_arguments(parser: argparse.ArgumentParser, dataset_default: str | None = "rotten_tomatoes") -> None:
    parser.add_argument("--model", default="minilm", help="registered name, hub id or local directory (default: minilm)")
    parser.add_argument("--dataset", default=dataset_default,
                        help="registered name or a .csv/.jsonl/.parquet file (default: rotten_tomatoes, or the "
                             "pruning run's own)")
    parser.add_argument("--text-column", default="text", help="text column of a local dataset file")
    parser.add_argument("--label-column", default="label", help="label column of a local dataset file")
    parser.add_argument("--device", default="auto", help="auto (GPU when present), cpu or cuda")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def add_attack_arguments(parser: argparse.ArgumentParser, with_recipe: bool = True) -> None:
    if with_recipe:
        parser.add_argument("--recipe", required=True, help="textfooler, bertattack or textbugger")
    parser.add_argument("-n", "--n", type=int, default=100, help="test examples to attack (default 100)")
    parser.add_argument("--attack-seed", type=int, default=765, help="TextAttack's random seed (default 765)")
    parser.add_argument("--query-budget", type=int, default=None, help="model queries per example (default: no limit)")
    parser.add_argument("--word-vectors", default=None,
                        help="counter-fitted / GloVe vectors file, or 'wordnet' (default: TextAttack's cache, else "
                             "counter-fitted GloVe rebuilt offline)")
    parser.add_argument("--mlm", default=None,
                        help="BERT-Attack's masked LM directory (default: bert-base-uncased if cached, else the "
                             "offline MiniLM head)")


def attack_config(args, recipe: str):
    from robustprune.attack import AttackConfig

    return AttackConfig(recipe=recipe, num_examples=args.n, seed=args.attack_seed, query_budget=args.query_budget,
                        word_vectors=args.word_vectors, mlm_path=args.mlm)


def add_finetune_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--epochs", type=float, default=1.0, help="fine-tuning epochs (0: use the checkpoint as is)")
    parser.add_argument("--learning-rate", type=float, default=None, help="AdamW learning rate")
    parser.add_argument("--finetune-seed", type=int, default=0)


def add_soup_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--candidates", type=int, default=4,
                        help="fine-tuned candidates in the greedy soup (default 4; the paper uses about 10)")
    parser.add_argument("--criterion", choices=["clean", "attack"], default=None,
                        help="rank and admit candidates by held-out clean accuracy (default) or by accuracy under "
                             "attack, as the paper does (an attack per evaluation: slow on a CPU)")
    parser.add_argument("--criterion-recipe", default="textbugger",
                        help="the attack of --criterion attack (default textbugger: no downloads offline)")
    parser.add_argument("--criterion-examples", type=int, default=50,
                        help="held-out texts attacked per evaluation with --criterion attack (default 50)")


def add_sweep_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", default=None, choices=sorted(PRESET_NAMES),
                        help="a paper's whole setup, e.g. paper: soup chosen under attack, krp+refit, 512 calibration "
                             "texts, the paper's sparsities (explicit flags win)")
    parser.add_argument("--methods", default=None,
                        help="comma-separated methods, each optionally with +refit (e.g. krp,krp+refit,sparsegpt); "
                             "structured methods (kprune, structured-magnitude) use --flops-reductions")
    parser.add_argument("--sparsities", default=None,
                        help="comma-separated fractions, or N:M patterns (e.g. 0.5,2:4) for unstructured methods "
                             "(default: the paper's, 0.3,0.5,0.7,0.875)")
    parser.add_argument("--flops-reductions", default="0.5", help="structured methods: FLOPs removed, comma-separated")
    parser.add_argument("--recipes", default="textfooler,textbugger")
    parser.add_argument("--dense", default=None,
                        help="dense start(s), comma-separated: finetune, soup (default finetune)")
    parser.add_argument("--seeds", type=int, default=1,
                        help="K seeds per cell: K dense starts or K calibration samples (--seed-over); tables show "
                             "the mean and the spread")
    parser.add_argument("--seed-over", choices=["finetune", "calibration"], default="finetune",
                        help="what a seed varies (default: the dense start's fine-tuning seed)")
    parser.add_argument("--calibration", type=int, default=None, help="calibration texts per pruning run (default 128)")
    parser.add_argument("--heldout", type=int, default=32, help="held-out texts per pruning run")
    parser.add_argument("--sample-tokens", type=int, default=None, help="kprune: tokens of training text sampled")
    parser.add_argument("--csv", default="robustprune-table.csv", help="where to write the CSV (default %(default)s)")
    parser.add_argument("--ray", nargs="?", const="auto", default=None, metavar="ADDRESS",
                        help="run the cells as Ray tasks: on this machine (no ADDRESS, or 'auto') or on the cluster "
                             "at ADDRESS (host:port or ray://host:port); default $ROBUSTPRUNE_RAY, else this process")
    parser.add_argument("--cpus-per-task", type=int, default=1, help="Ray: CPUs each task asks for (default 1)")
    parser.add_argument("--shard-size", type=int, default=None,
                        help="examples per attack shard (default 50 here, 10 on Ray)")
    parser.add_argument("--dry-run", action="store_true",
                        help="only say what is cached and estimate what is left; compute nothing")
    add_attack_arguments(parser, with_recipe=False)
    add_data_arguments(parser)
    add_finetune_arguments(parser)
    add_soup_arguments(parser)


PRESET_NAMES = ("paper",)  # robustprune.presets.PRESETS, named here so that --help needs no import

# argument -> (its value without a preset, the preset's field that replaces it); explicit values win
PRESET_ARGUMENTS = {"dense": ("finetune", "dense_start"), "calibration": (128, "calibration"),
                    "refit_head": (False, "refit_head"), "method": (None, "method"),
                    "criterion": ("clean", None), "methods": ("krp,sparsegpt,magnitude", "method_variant"),
                    "sparsities": ("0.3,0.5,0.7,0.875", "sparsities")}


def apply_preset(args) -> None:
    """Fill the arguments left unset from ``--preset`` (if any), then from their usual defaults."""
    from robustprune.presets import get_preset

    preset = get_preset(args.preset) if getattr(args, "preset", None) else None
    for name, (default, field) in PRESET_ARGUMENTS.items():
        if not hasattr(args, name) or getattr(args, name) is not None:
            continue
        value = default
        if preset is not None and name == "criterion":
            value = preset.soup.get("criterion", default)
        elif preset is not None and field is not None:
            value = getattr(preset, field)
            if name == "sparsities":
                value = ",".join(f"{s:g}" for s in value)
        setattr(args, name, value)


def build_parser() -> argparse.ArgumentParser:
    from robustprune.prune import METHODS
    from robustprune.structured import METHODS as STRUCTURED_METHODS

    parser = OneLineParser(prog="robustprune", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    finetune = commands.add_parser("finetune", help="fine-tune the dense classifier (cached)")
    add_data_arguments(finetune)
    add_finetune_arguments(finetune)

    prune = commands.add_parser("prune", help="prune the dense classifier (cached)")
    prune.add_argument("--preset", default=None, choices=sorted(PRESET_NAMES),
                       help="a paper's whole setup, e.g. paper: soup chosen under attack, krp, re-fitted head, 512 "
                            "calibration texts (explicit flags win)")
    prune.add_argument("--method", default=None, choices=sorted(METHODS) + sorted(STRUCTURED_METHODS),
                       help="pruning method (kprune and structured-magnitude remove heads and neurons)")
    prune.add_argument("--sparsity", type=float, default=0.5, help="fraction of zeros in [0, 0.99) (default 0.5)")
    prune.add_argument("--pattern", default=None, help="N:M semi-structured sparsity, e.g. 2:4 (overrides --sparsity)")
    prune.add_argument("--flops-reduction", type=float, default=0.5,
                       help="structured methods: fraction of the encoder's FLOPs to remove (default 0.5)")
    prune.add_argument("--sample-tokens", type=int, default=None,
                       help="kprune: tokens of training text for knowledge measurement (default 4096)")
    prune.add_argument("--calibration", type=int, default=None, help="calibration texts (default 128)")
    prune.add_argument("--heldout", type=int, default=32, help="held-out texts for reconstruction errors (default 32)")
    prune.add_argument("--seed", type=int, default=0)
    prune.add_argument("--calibration-adversarial", type=int, default=0, metavar="N",
                       help="robustness-aware calibration: add N adversarial texts found on the dense model (attacks "
                            "on training texts, cached runs) to the calibration texts (default 0)")
    prune.add_argument("--adversarial-recipes", default="textfooler,textbugger",
                       help="the attacks that find them, N split evenly (default textfooler,textbugger)")
    prune.add_argument("--refit-head", action="store_true", default=None,
                       help="re-fit pooler and classifier to the dense outputs by least squares (krp paper)")
    prune.add_argument("--dense", default=None, choices=["finetune", "soup"],
                       help="start from one fine-tuned model or from the greedy soup (default finetune)")
    add_data_arguments(prune)
    add_finetune_arguments(prune)
    add_soup_arguments(prune)

    soup = commands.add_parser("soup", help="robust dense start: greedy weight average of fine-tuned models (cached)")
    add_data_arguments(soup)
    add_finetune_arguments(soup)
    add_soup_arguments(soup)

    attack = commands.add_parser("attack", help="attack the dense model or a pruning run (cached)")
    target = attack.add_mutually_exclusive_group(required=True)
    target.add_argument("--dense", action="store_true", help="attack the dense fine-tuned model")
    target.add_argument("--run", metavar="RUN_ID",
                        help="attack a cached pruning run or fine-tuned model (see `robustprune runs`)")
    attack.add_argument("--texts", metavar="FILE", default=None,
                        help="attack the texts of this .csv/.jsonl/.parquet (--text-column, --label-column) or .txt "
                             "file (one a line) against the chosen model, instead of the dataset's test split; "
                             "without labels the dense model's predictions are the labels")
    add_attack_arguments(attack)
    add_data_arguments(attack, dataset_default=None)
    add_finetune_arguments(attack)

    for name, help_text in (("sweep", "fill a grid of runs (dense starts x methods x sparsities x attacks) in one "
                                       "request, here or on a Ray cluster; prints the paper's table"),
                            ("table", "the paper's table: accuracy under attack per method x sparsity x recipe "
                                      "(the same as sweep)")):
        add_sweep_arguments(commands.add_parser(name, help=help_text))

    report = commands.add_parser("report", help="one self-contained HTML report: a run, an attack, or everything")
    subject = report.add_mutually_exclusive_group(required=True)
    subject.add_argument("--run", metavar="RUN_ID", help="a pruning run (its errors, trade-off curves and attacks)")
    subject.add_argument("--attack", metavar="RUN_ID", help="an attack run (its examples, marked and explained)")
    subject.add_argument("--overview", action="store_true", help="the trade-off curves of every cached run")
    report.add_argument("-o", "--output", required=True, help="the HTML file to write, e.g. report.html")
    report.add_argument("--examples", type=int, default=None,
                        help="examples per attack (default 6 with --attack, 3 per attack with --run)")
    report.add_argument("--compute", action="store_true",
                        help="first compute what is not cached yet: the per-layer AUC and the chosen examples' "
                             "attributions (loads the models; seconds per example on a CPU)")
    report.add_argument("--json", action="store_true")

    runs = commands.add_parser("runs", help="list cached runs (damaged ones marked)")
    runs.add_argument("--kind", default=None, help="only runs of this kind (finetune, prune, ...)")
    runs.add_argument("--verify", action="store_true",
                      help="check every file's SHA-256 against what was written (default: sizes only)")
    runs.add_argument("--json", action="store_true")

    worker = commands.add_parser("worker", help="run queued dashboard jobs (pruning, fine-tuning, attacks)")
    worker.add_argument("--once", action="store_true", help="run the queued jobs, then exit")

    commands.add_parser("models", help="list registered models")
    commands.add_parser("datasets", help="list registered datasets")
    return parser


def load_data(args):
    from robustprune.data import load_task_data

    return load_task_data(args.dataset, args.text_column, args.label_column)


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
    from robustprune.pipeline import ensure_dense

    config = finetune_config(args)
    result = ensure_dense(args.model, load_data(args), config, args.device, progress=progress_for(args))
    if not args.json:
        source = "cached" if result.cached else f"trained in {result.seconds:.0f} s on {result.device}"
        print(f"{result.run_id}: {result.model} on {result.dataset}, test accuracy {result.accuracy:.2%} ({source})")
    return asdict(result)


def command_prune_structured(args) -> dict:
    from robustprune.structured import KPruneConfig
    from robustprune.structured.runs import prune_structured

    overrides = {"flops_reduction": args.flops_reduction, "seed": args.seed}
    if args.sample_tokens is not None:
        overrides["sample_tokens"] = args.sample_tokens
    run = prune_structured(args.method, KPruneConfig(**overrides), args.model, load_data(args), args.device,
                           finetune_config(args), progress=progress_for(args), dense=args.dense,
                           soup_config=soup_config(args) if args.dense == "soup" else None)
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


def command_prune(args) -> dict:
    from robustprune.errors import RobustPruneError
    from robustprune.pipeline import prune
    from robustprune.prune import PruneConfig
    from robustprune.structured import METHODS as STRUCTURED_METHODS

    if args.method is None:
        raise RobustPruneError("which method? pass --method (e.g. --method krp) or --preset paper")
    if args.method in STRUCTURED_METHODS:
        return command_prune_structured(args)

    config = PruneConfig(method=args.method, sparsity=args.sparsity, pattern=args.pattern,
                         calibration=args.calibration, heldout=args.heldout, seed=args.seed,
                         refit_head=args.refit_head, calibration_adversarial=args.calibration_adversarial,
                         adversarial_recipes=split_list(args.adversarial_recipes))
    result = prune(config, args.model, load_data(args), args.device, finetune_config(args),
                   progress=progress_for(args), dense=args.dense,
                   soup_config=soup_config(args) if args.dense == "soup" else None)
    if not args.json:
        print_prune_result(result)
    return result.to_dict()


def soup_config(args):
    from robustprune.soup import SoupConfig

    return SoupConfig(candidates=args.candidates, base=finetune_config(args), criterion=args.criterion,
                      attack_recipe=args.criterion_recipe, attack_examples=args.criterion_examples)


CRITERION_WORDS = {"clean": "clean accuracy", "attack": "accuracy under attack"}


def command_soup(args) -> dict:
    from robustprune.soup import ensure_soup

    result = ensure_soup(args.model, load_data(args), soup_config(args), args.device, progress=progress_for(args))
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
    from robustprune.attack.runs import DENSE_TARGET, attack, read_texts

    texts = None
    if args.texts:
        texts = read_texts(args.texts, args.text_column, args.label_column, labels_required=args.label_column != "label")
    config = attack_config(args, args.recipe)
    if texts is not None:
        config.validate(len(texts.texts))  # before any dataset or model is loaded
    dataset = load_data(args) if args.dataset else None
    run = attack(DENSE_TARGET if args.dense else args.run, config, args.model, dataset,
                 args.device, progress=progress_for(args), finetune_config=finetune_config(args), texts=texts)
    if not args.json:
        print_attack_run(run)
    return run.to_dict()


def print_attack_run(run) -> None:
    from robustprune.labels import budget_label
    from robustprune.store import RunStore

    summary = run.result.summary
    target = RunStore().get(run.target_run_id)
    label = (target and budget_label(target)) or \
        f"{run.method}{'' if run.method == 'dense' else f' {run.sparsity:.1%}'}"
    print(f"{run.run_id}: {summary.recipe_label} against {label} ({run.target_run_id})"
          f"{' (cached)' if run.cached else f' in {summary.wall_seconds:.0f} s'}")
    rows = [("Number of successful attacks", summary.successful_attacks),
            ("Number of failed attacks", summary.failed_attacks),
            ("Number of skipped attacks", summary.skipped_attacks),
            ("Original accuracy", f"{summary.clean_accuracy:.1%}"),
            ("Accuracy under attack", f"{summary.accuracy_under_attack:.1%}"),
            ("Attack success rate", f"{summary.attack_success_rate:.1%}"),
            ("Average perturbed word %", f"{summary.avg_perturbed_word_percent:.1f}%"),
            ("Average num. words per input", f"{summary.avg_num_words:.1f}"),
            ("Avg num queries", f"{summary.avg_num_queries:.1f}")]
    for label, value in rows:
        print(f"  {label:<32} {value}")
    for part, source in summary.parts.items():
        print(f"  {part + ':':<32} {source}")
    for transfer in run.result.transfers:
        print(f"  transfer {transfer.source} -> {transfer.target}: {transfer.transferred} of "
              f"{transfer.num_adversarial} adversarial examples also fool the {transfer.target} model")


def parse_budgets(text: str) -> list[float | str]:
    """``--sparsities``: fractions ("0.5") and N:M patterns ("2:4")."""
    from robustprune.prune.base import NMPattern

    budgets = []
    for part in (part.strip() for part in text.split(",")):
        if ":" in part:
            budgets.append(str(NMPattern.parse(part)))
            continue
        try:
            budgets.append(float(part))
        except ValueError:
            raise RobustPruneError(f"--sparsities: {part!r} is neither a fraction (e.g. 0.5) nor an N:M pattern "
                                   "(e.g. 2:4)") from None
    return budgets


def split_list(text: str, kind=str) -> tuple:
    from robustprune.errors import RobustPruneError

    try:
        return tuple(kind(item.strip()) for item in text.split(",") if item.strip())
    except ValueError:
        raise RobustPruneError(f"{text!r} is not a comma-separated list of numbers (e.g. 0.5,0.875)") from None


def sweep_spec(args):
    from robustprune.sweep import SweepSpec

    finetune = {"epochs": args.epochs, "seed": args.finetune_seed}
    if args.learning_rate is not None:
        finetune["learning_rate"] = args.learning_rate
    attack = {"seed": args.attack_seed, "query_budget": args.query_budget, "word_vectors": args.word_vectors,
              "mlm_path": args.mlm}
    soup = {"candidates": args.candidates, "criterion": args.criterion, "attack_recipe": args.criterion_recipe,
            "attack_examples": args.criterion_examples}
    return SweepSpec(model=args.model, dataset=args.dataset, text_column=args.text_column,
                     label_column=args.label_column, dense_starts=split_list(args.dense),
                     methods=split_list(args.methods), sparsities=tuple(parse_budgets(args.sparsities)),
                     flops_reductions=split_list(args.flops_reductions, float),
                     recipes=split_list(args.recipes), num_examples=args.n, calibration=args.calibration,
                     heldout=args.heldout, seeds=args.seeds, seed_axis=args.seed_over, finetune=finetune,
                     soup=soup, attack={name: value for name, value in attack.items() if value is not None},
                     sample_tokens=args.sample_tokens, device=args.device)


def command_sweep(args) -> dict:
    from robustprune.store import RunStore
    from robustprune.sweep import make_executor, plan_sweep, run_sweep, sweep_data
    from robustprune.sweep.estimate import estimate_sweep
    from robustprune.sweep.events import PrintedEvents
    from robustprune.sweep.table import markdown_table, sweep_table

    spec = sweep_spec(args)
    data = sweep_data(spec)
    executor = make_executor(args.ray, args.device, cpus_per_task=args.cpus_per_task)
    store = RunStore()
    shard_size = args.shard_size or executor.default_shard_size
    plan = plan_sweep(spec, data, shard_size)
    estimate = estimate_sweep(plan, store, args.device)
    print(f"sweep: {len(plan.rows)} table rows, {estimate.describe()}", file=sys.stderr)
    if args.dry_run:
        table = sweep_table(plan, store)
        if not args.json:
            print(markdown_table(table))
        return {"rows": table.to_dict("records"), "cells": len(plan.cells), "cached": estimate.cached,
                "missing": estimate.missing, "estimated_seconds": estimate.seconds}
    try:
        result = run_sweep(spec, data=data, store=store, executor=executor, shard_size=shard_size,
                           events=PrintedEvents())
    finally:
        getattr(executor, "shutdown", lambda: None)()
    result.table.to_csv(args.csv, index=False)
    if not args.json:
        print(markdown_table(result.table))
        if spec.seeds > 1:
            print(f"\nover {spec.seeds} seeds ({spec.seed_axis}): mean, min, max, std")
            print(result.summary.to_markdown(index=False, floatfmt=".3f"))
        print(f"\n(CSV written to {args.csv}; {result.computed} runs computed on {result.executor} in "
              f"{result.seconds:.0f} s)")
    failures = [{"run_id": state.run_id, "label": state.label, "error": state.error} for state in result.failures]
    if failures:
        print(f"{len(failures)} run(s) failed; the others are cached. Run the same command again to retry them:",
              file=sys.stderr)
        for failure in failures:
            print(f"  {failure['label']}: {failure['error'].splitlines()[0]}", file=sys.stderr)
    return {"rows": result.table.to_dict("records"), "summary": result.summary.to_dict("records"),
            "csv": args.csv, "failed": failures, "computed": result.computed}


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
    accuracy = summary.get("accuracy", summary.get("soup_test_accuracy"))
    return f"accuracy {accuracy:.1%}" if isinstance(accuracy, float) else ""


def command_runs(args) -> dict:
    from robustprune.labels import run_method_label
    from robustprune.store import RunStore

    store = RunStore()
    records = store.list(kind=args.kind, include_damaged=True)
    if args.verify:
        for record in records:
            record.damage = record.damage or store.damage(record.run_id, verify=True)
    rows = [{"run_id": r.run_id, "kind": r.kind, "model": r.model, "dataset": r.dataset, "method": r.method,
             "label": run_method_label(r), "parent": r.parent, "created": r.created, "summary": r.summary,
             "damage": r.damage} for r in records]
    if not args.json:
        if not rows:
            print("no cached runs yet; try `robustprune prune --method krp --sparsity 0.5`")
        for row in rows:
            detail = (f"DAMAGED ({row['damage']}): treated as missing, computed again when asked for"
                      if row["damage"] else run_detail(row["kind"], row["summary"]))
            print(f"{row['run_id']:<22} {row['kind']:<10} {row['model'] or '':<12} {row['dataset'] or '':<16} "
                  f"{row['label']:<20} {detail}")
    return {"runs": rows}


def command_report(args) -> dict:
    from pathlib import Path

    from robustprune.report import write_report

    output = Path(args.output).expanduser()
    if not output.parent.is_dir():
        raise RobustPruneError(f"cannot write {str(output)!r}: folder {str(output.parent)!r} does not exist; "
                               "pass a path in an existing folder")
    if args.examples is not None and args.examples < 0:
        raise RobustPruneError(f"--examples must be 0 or more, got {args.examples}")
    path = write_report(output, run=args.run, attack=args.attack, overview=args.overview, examples=args.examples,
                        compute=args.compute)
    size_mb = path.stat().st_size / 1e6
    if not args.json:
        print(f"wrote {path} ({size_mb:.1f} MB): open it in any browser, no network needed")
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
    from robustprune.jobs import JobQueue

    finished = JobQueue().work(once=args.once)
    return {"finished": finished}


COMMANDS = {"finetune": command_finetune, "prune": command_prune, "attack": command_attack, "table": command_sweep,
            "sweep": command_sweep, "runs": command_runs, "worker": command_worker, "report": command_report,
            "models": command_models, "datasets": command_datasets, "soup": command_soup}


@contextmanager
def one_line_warnings():
    """Show a damaged cached run (``robustprune.store.DamagedRunWarning``) as one line on stderr, every time."""
    from robustprune.store import DamagedRunWarning

    with warnings.catch_warnings():
        default = warnings.showwarning

        def show(message, category, filename, lineno, file=None, line=None):
            if issubclass(category, DamagedRunWarning):
                print(f"robustprune: warning: {message}", file=sys.stderr)
            else:
                default(message, category, filename, lineno, file, line)

        warnings.showwarning = show
        warnings.simplefilter("always", DamagedRunWarning)
        yield


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        with one_line_warnings():
            apply_preset(args)
            output = COMMANDS[args.command](args)
    except RobustPruneError as error:
        print(f"robustprune {args.command}: error: {error}", file=sys.stderr)
        return 2
    if getattr(args, "json", False):
        print(json.dumps(output, default=str))
    return 1 if isinstance(output, dict) and output.get("failed") else 0  # a sweep with failed runs


if __name__ == "__main__":
    sys.exit(main())
