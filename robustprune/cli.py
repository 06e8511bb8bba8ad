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
                        help="counter-fitted / GloVe vectors file (default: TextAttack's cache, else WordNet)")
    parser.add_argument("--mlm", default=None, help="BERT-Attack's masked LM directory (default: bert-base-uncased)")


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
    parser.add_argument("--criterion", choices=["clean", "attack"], default="clean",
                        help="rank and admit candidates by held-out clean accuracy (default) or by accuracy under "
                             "attack, as the paper does (an attack per evaluation: slow on a CPU)")
    parser.add_argument("--criterion-recipe", default="textbugger",
                        help="the attack of --criterion attack (default textbugger: no downloads offline)")
    parser.add_argument("--criterion-examples", type=int, default=50,
                        help="held-out texts attacked per evaluation with --criterion attack (default 50)")


def build_parser() -> argparse.ArgumentParser:
    from robustprune.prune import METHODS
    from robustprune.structured import METHODS as STRUCTURED_METHODS

    parser = OneLineParser(prog="robustprune", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)

    finetune = commands.add_parser("finetune", help="fine-tune the dense classifier (cached)")
    add_data_arguments(finetune)
    add_finetune_arguments(finetune)

    prune = commands.add_parser("prune", help="prune the dense classifier (cached)")
    prune.add_argument("--method", required=True, choices=sorted(METHODS) + sorted(STRUCTURED_METHODS),
                       help="pruning method (kprune and structured-magnitude remove heads and neurons)")
    prune.add_argument("--sparsity", type=float, default=0.5, help="fraction of zeros in [0, 0.99) (default 0.5)")
    prune.add_argument("--pattern", default=None, help="N:M semi-structured sparsity, e.g. 2:4 (overrides --sparsity)")
    prune.add_argument("--flops-reduction", type=float, default=0.5,
                       help="structured methods: fraction of the encoder's FLOPs to remove (default 0.5)")
    prune.add_argument("--sample-tokens", type=int, default=None,
                       help="kprune: tokens of training text for knowledge measurement (default 4096)")
    prune.add_argument("--calibration", type=int, default=128, help="calibration texts (default 128)")
    prune.add_argument("--heldout", type=int, default=32, help="held-out texts for reconstruction errors (default 32)")
    prune.add_argument("--seed", type=int, default=0)
    prune.add_argument("--refit-head", action="store_true",
                       help="re-fit pooler and classifier to the dense outputs by least squares (krp paper)")
    prune.add_argument("--dense", default="finetune", choices=["finetune", "soup"],
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
    target.add_argument("--run", metavar="RUN_ID", help="attack a cached pruning run (see `robustprune runs`)")
    add_attack_arguments(attack)
    add_data_arguments(attack, dataset_default=None)
    add_finetune_arguments(attack)

    table = commands.add_parser("table", help="the paper's table: accuracy under attack per method x sparsity x recipe")
    table.add_argument("--methods", default="magnitude,sparsegpt,krp",
                       help="comma-separated; structured methods read the sparsity as the FLOPs reduction")
    table.add_argument("--sparsities", default="0.3,0.5,0.7,0.875",
                       help="comma-separated fractions, or N:M patterns (e.g. 0.5,2:4) for unstructured methods")
    table.add_argument("--recipes", default="textfooler,textbugger")
    table.add_argument("--csv", default="robustprune-table.csv", help="where to write the CSV (default %(default)s)")
    table.add_argument("--calibration", type=int, default=128, help="calibration texts per pruning run")
    table.add_argument("--heldout", type=int, default=32, help="held-out texts per pruning run")
    add_attack_arguments(table, with_recipe=False)
    add_data_arguments(table)
    add_finetune_arguments(table)

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
    from robustprune.pipeline import prune
    from robustprune.prune import PruneConfig
    from robustprune.structured import METHODS as STRUCTURED_METHODS

    if args.method in STRUCTURED_METHODS:
        return command_prune_structured(args)

    config = PruneConfig(method=args.method, sparsity=args.sparsity, pattern=args.pattern,
                         calibration=args.calibration, heldout=args.heldout, seed=args.seed,
                         refit_head=args.refit_head)
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
    print(f"  {'layer':<48} {'sparsity':>8} {'local err':>10} {'e2e err':>10}")
    for layer in result.layers:
        print(f"  {layer.name:<48} {layer.sparsity:>8.4f} {layer.reconstruction_error_local:>10.4f} "
              f"{layer.reconstruction_error_e2e:>10.4f}")


def command_attack(args) -> dict:
    from robustprune.attack.runs import DENSE_TARGET, attack

    dataset = load_data(args) if args.dataset else None
    run = attack(DENSE_TARGET if args.dense else args.run, attack_config(args, args.recipe), args.model, dataset,
                 args.device, progress=progress_for(args), finetune_config=finetune_config(args))
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


def command_table(args) -> dict:
    from robustprune.table import TableSettings, robustness_table

    settings = TableSettings(args.model, args.device, args.calibration, args.heldout, finetune_config(args))
    frame = robustness_table(args.methods.split(","), parse_budgets(args.sparsities),
                             args.recipes.split(","), lambda recipe: attack_config(args, recipe), load_data(args),
                             settings, progress=progress_for(args))
    frame.to_csv(args.csv, index=False)
    if not args.json:
        print(frame.to_markdown(index=False, floatfmt=".3f"))
        print(f"\n(CSV written to {args.csv})")
    return {"rows": frame.to_dict("records"), "csv": args.csv}


def run_detail(kind: str, summary: dict) -> str:
    """One line of the numbers that matter for a run of this kind."""
    if kind == "prune":
        return f"sparsity {summary['sparsity']:.3f}  accuracy {summary['accuracy_sparse']:.1%}"
    if kind == "structured":
        return f"FLOPs x{summary['flops_ratio']:.2f}  accuracy {summary['accuracy_sparse']:.1%}"
    if kind == "attack":
        return (f"{summary['recipe']} on {summary['target_run_id']}: accuracy under attack "
                f"{summary['accuracy_under_attack']:.1%} (clean {summary['clean_accuracy']:.1%})")
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


COMMANDS = {"finetune": command_finetune, "prune": command_prune, "attack": command_attack, "table": command_table,
            "runs": command_runs, "worker": command_worker,
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
            output = COMMANDS[args.command](args)
    except RobustPruneError as error:
        print(f"robustprune {args.command}: error: {error}", file=sys.stderr)
        return 2
    if getattr(args, "json", False):
        print(json.dumps(output, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
