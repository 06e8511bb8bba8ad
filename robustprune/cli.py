"""The ``robustprune`` command line: thin wrappers over the library, one JSON object with ``--json``."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict

from robustprune.errors import RobustPruneError


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line (and exit code 2)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}\n")


def add_data_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default="minilm", help="registered name, hub id or local directory (default: minilm)")
    parser.add_argument("--dataset", default="rotten_tomatoes",
                        help="registered name or a .csv/.jsonl/.parquet file (default: rotten_tomatoes)")
    parser.add_argument("--text-column", default="text", help="text column of a local dataset file")
    parser.add_argument("--label-column", default="label", help="label column of a local dataset file")
    parser.add_argument("--device", default="auto", help="auto (GPU when present), cpu or cuda")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def add_finetune_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--epochs", type=float, default=1.0, help="fine-tuning epochs (0: use the checkpoint as is)")
    parser.add_argument("--learning-rate", type=float, default=None, help="AdamW learning rate")
    parser.add_argument("--finetune-seed", type=int, default=0)


def add_soup_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--candidates", type=int, default=4,
                        help="fine-tuned candidates in the greedy soup (default 4; the paper uses about 10)")


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

    runs = commands.add_parser("runs", help="list cached runs")
    runs.add_argument("--kind", default=None, help="only runs of this kind (finetune, prune, ...)")
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
                           finetune_config(args), progress=progress_for(args))
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
        if args.dense != "finetune":
            raise RobustPruneError(f"--dense {args.dense} is not available for {args.method} yet; use --dense finetune")
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

    return SoupConfig(candidates=args.candidates, base=finetune_config(args))


def command_soup(args) -> dict:
    from robustprune.soup import ensure_soup

    result = ensure_soup(args.model, load_data(args), soup_config(args), args.device, progress=progress_for(args))
    if not args.json:
        source = "cached" if result.cached else f"built in {result.seconds:.0f} s on {result.device}"
        print(f"{result.run_id}: soup of {result.kept} of {len(result.candidates)} candidates, {result.model} on "
              f"{result.dataset} ({source}); chosen by {result.criterion} accuracy on {result.heldout_examples} "
              "held-out training texts")
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


def command_runs(args) -> dict:
    from robustprune.store import RunStore

    records = RunStore().list(kind=args.kind)
    rows = [{"run_id": r.run_id, "kind": r.kind, "model": r.model, "dataset": r.dataset, "method": r.method,
             "parent": r.parent, "created": r.created, "summary": r.summary} for r in records]
    if not args.json:
        if not rows:
            print("no cached runs yet; try `robustprune prune --method krp --sparsity 0.5`")
        for row in rows:
            summary = row["summary"]
            detail = (f"sparsity {summary['sparsity']:.3f} acc {summary['accuracy_sparse']:.2%}"
                      if row["kind"] == "prune" else f"acc {summary.get('accuracy', float('nan')):.2%}")
            print(f"{row['run_id']:<22} {row['kind']:<9} {row['model']:<12} {row['dataset']:<16} "
                  f"{row['method'] or '':<10} {detail}")
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


COMMANDS = {"finetune": command_finetune, "prune": command_prune, "runs": command_runs, "worker": command_worker,
            "models": command_models, "datasets": command_datasets, "soup": command_soup}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        output = COMMANDS[args.command](args)
    except RobustPruneError as error:
        print(f"robustprune {args.command}: error: {error}", file=sys.stderr)
        return 2
    if getattr(args, "json", False):
        print(json.dumps(output, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
