"""The command line's arguments: one parser, with the flags the commands share, and the presets they fill in."""

from __future__ import annotations

import argparse

from robustprune.errors import RobustPruneError

class OneLineParser(argparse.ArgumentParser):
    """argparse that reports a bad argument in one line (and exit code 2)."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}\n")


def whole_number(minimum: int):
    """An argparse type: a whole number of at least ``minimum`` (argparse names the flag in its one-line error)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value
    return parse


positive_int = whole_number(1)
non_negative_int = whole_number(0)


def file_name(text: str) -> str:
    """An argparse type for an argument that may be a path (``-o``, ``--csv``, ``--texts``, ``--dataset``,
    ``--model``): a name the system refuses for its length is one line here, not a traceback wherever it is
    first opened."""
    from robustprune.output_files import name_too_long

    if name_too_long(text):
        raise argparse.ArgumentTypeError(f"{text[:40]!r}… ({len(text)} characters) is too long for a file name "
                                         "(at most 255 characters a part); pass a shorter path")
    return text


def add_data_arguments(parser: argparse.ArgumentParser, dataset_default: str | None = "rotten_tomatoes") -> None:
    parser.add_argument("--model", default="minilm", type=file_name, help="registered name, hub id or local directory (default: minilm)")
    parser.add_argument("--dataset", default=dataset_default, type=file_name,
                        help="registered name or a .csv/.jsonl/.json/.parquet file (default: "
                             + (f"{dataset_default})" if dataset_default else "the attacked run's own)"))
    parser.add_argument("--text-column", default="text", help="text column of a local dataset file")
    parser.add_argument("--label-column", default="label", help="label column of a local dataset file")
    parser.add_argument("--device", default="auto", help="auto (GPU when present), cpu or cuda")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def add_attack_arguments(parser: argparse.ArgumentParser, with_recipe: bool = True) -> None:
    if with_recipe:
        parser.add_argument("--recipe", required=True, help="textfooler, bert-attack or textbugger")
    parser.add_argument("-n", "--n", type=int, default=100, help="test examples to attack (default 100)")
    parser.add_argument("--attack-seed", type=int, default=765, help="TextAttack's random seed (default 765)")
    parser.add_argument("--query-budget", type=int, default=None, help="model queries per example (default: no limit)")
    parser.add_argument("--word-vectors", default=None,
                        help="counter-fitted / GloVe vectors file, or 'wordnet' (default: TextAttack's cache, else "
                             "counter-fitted GloVe rebuilt offline)")
    parser.add_argument("--mlm", default=None, metavar="DIR",
                        help="bert-attack's masked LM: a local checkpoint directory (default: bert-base-uncased from "
                             "the Hugging Face cache, or downloaded when the hub can be reached; offline without it, "
                             "bert-attack stops and asks for --mlm)")


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
                        help="comma-separated methods, each optionally with +refit and/or +adv=N (adversarial calibration "
                             "texts), e.g. krp,krp+refit,krp+adv=128,sparsegpt; "
                             "structured methods (kprune, structured-magnitude) use --flops-reductions (default "
                             "krp,sparsegpt,magnitude)")
    parser.add_argument("--sparsities", default=None,
                        help="comma-separated fractions, or N:M patterns (e.g. 0.5,2:4) for unstructured methods "
                             "(default: the paper's, 0.3,0.5,0.7,0.875)")
    parser.add_argument("--flops-reductions", default="0.5", help="structured methods: FLOPs removed, comma-separated")
    parser.add_argument("--recipes", default="textfooler,textbugger",
                        help="comma-separated attacks: textfooler, bert-attack, textbugger (default %(default)s)")
    parser.add_argument("--dense", default=None,
                        help="dense start(s), comma-separated: finetune, soup (default finetune)")
    add_seed_arguments(parser, "K seeds per cell: K dense starts or K calibration samples (--seed-over); tables show "
                               "the mean and the spread")
    parser.add_argument("--sample-tokens", type=int, default=None, help="kprune: tokens of training text sampled")
    parser.add_argument("--csv", default="robustprune-table.csv", type=file_name, help="where to write the CSV (default %(default)s)")
    parser.add_argument("--ray", nargs="?", const="auto", default=None, metavar="ADDRESS",
                        help="run the cells as Ray tasks: on this machine (no ADDRESS, or 'auto') or on the cluster "
                             "at ADDRESS (host:port or ray://host:port); default $ROBUSTPRUNE_RAY, else this process")
    parser.add_argument("--cpus-per-task", type=positive_int, default=1,
                        help="Ray: CPUs each task asks for (default 1)")
    parser.add_argument("--shard-size", type=int, default=None,
                        help="examples per attack shard (default 50 here, 10 on Ray)")
    parser.add_argument("--dry-run", action="store_true",
                        help="only say what is cached and estimate what is left; compute nothing")
    add_attack_arguments(parser, with_recipe=False)
    add_data_arguments(parser)
    add_finetune_arguments(parser)
    add_soup_arguments(parser)


# the budgets when none is given: left None in the arguments, so that a flag of the other kind can be told apart
DEFAULT_SPARSITY, DEFAULT_FLOPS_REDUCTION = 0.5, 0.5
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


def add_seed_arguments(parser, seeds_help: str) -> None:
    """The seeds and the calibration of the pruning runs a sweep (or a frontier) makes."""
    parser.add_argument("--seeds", type=int, default=1, help=seeds_help)
    parser.add_argument("--seed-over", choices=["finetune", "calibration"], default="finetune",
                        help="what a seed varies (default: the dense start's fine-tuning seed)")
    parser.add_argument("--calibration", type=int, default=None, help="calibration texts per pruning run (default 128)")
    parser.add_argument("--heldout", type=int, default=32, help="held-out texts per pruning run")


def build_parser(more_commands=()) -> argparse.ArgumentParser:
    from robustprune.prune import METHODS
    from robustprune.structured import METHODS as STRUCTURED_METHODS

    parser = OneLineParser(prog="robustprune", description="Explore how pruning changes the adversarial "
                           "robustness of transformer text classifiers; every run is cached. The commands that "
                           "compute or list runs print one JSON object with --json.")
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
    prune.add_argument("--sparsity", type=float, default=None,
                       help=f"fraction of zeros in [0, 0.99) (default {DEFAULT_SPARSITY})")
    prune.add_argument("--pattern", default=None, help="N:M semi-structured sparsity, e.g. 2:4 (overrides --sparsity)")
    prune.add_argument("--flops-reduction", type=float, default=None,
                       help=f"structured methods: fraction of the encoder's FLOPs to remove (default "
                            f"{DEFAULT_FLOPS_REDUCTION})")
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
    attack.add_argument("--texts", metavar="FILE", default=None, type=file_name,
                        help="attack the texts of this .csv/.jsonl/.json/.parquet (--text-column, --label-column) or "
                             ".txt file (one a line) against the chosen model, instead of the dataset's test split; "
                             "without labels the dense model's predictions are the labels")
    attack.add_argument("--examples", type=non_negative_int, default=10, metavar="K",
                        help="examples to print after the summary (default 10; 0: none); --json and `robustprune "
                             "report --attack` have all of them")
    add_attack_arguments(attack)
    add_data_arguments(attack, dataset_default=None)
    add_finetune_arguments(attack)

    for name, help_text in (("sweep", "fill a grid of runs (dense starts x methods x sparsities x attacks) in one "
                                       "request, here or on a Ray cluster; prints the paper's table"),
                            ("table", "the paper's table: accuracy under attack per method x sparsity x recipe; "
                                      "the same command as sweep (computes what is not cached; --dry-run only "
                                      "prints what is)")):
        add_sweep_arguments(commands.add_parser(name, help=help_text))

    for add_command in more_commands:  # commands whose modules build on this one (frontier)
        add_command(commands)

    report = commands.add_parser("report", help="one self-contained HTML report: a run, an attack, or everything")
    subject = report.add_mutually_exclusive_group(required=True)
    subject.add_argument("--run", metavar="RUN_ID", help="a pruning run (its errors, trade-off curves and attacks)")
    subject.add_argument("--attack", metavar="RUN_ID", help="an attack run (its examples, marked and explained)")
    subject.add_argument("--overview", action="store_true", help="the trade-off curves of every cached run")
    report.add_argument("-o", "--output", required=True, type=file_name, help="the HTML file to write, e.g. report.html")
    report.add_argument("--examples", type=int, default=None,
                        help="examples per attack (default 6 with --attack, 3 per attack with --run)")
    report.add_argument("--compute", action="store_true",
                        help="first compute what is not cached yet: the per-layer AUC and the chosen examples' "
                             "attributions (loads the models; seconds per example on a CPU)")
    report.add_argument("--json", action="store_true")

    runs = commands.add_parser("runs", help="list cached runs (damaged ones marked)")
    runs.add_argument("--kind", default=None, help="only runs of this kind: finetune, soup, prune, structured, "
                      "attack, attribution, layer-auc or projection")
    runs.add_argument("--verify", action="store_true",
                      help="check every file's SHA-256 against what was written (default: sizes only)")
    runs.add_argument("--reindex", action="store_true",
                      help="first add to the index every run folder it lacks (done by itself when the index is "
                           "missing, emptied or unreadable)")
    runs.add_argument("--json", action="store_true")

    worker = commands.add_parser("worker", help="run queued dashboard jobs (pruning, fine-tuning, attacks) until "
                                 "interrupted")
    worker.add_argument("--once", action="store_true", help="run the queued jobs, then exit")
    worker.add_argument("--parent", type=positive_int, metavar="PID",
                        help="exit once process PID has exited and no job is left (the dashboard starts its worker "
                             "this way)")

    commands.add_parser("models", help="list registered models")
    commands.add_parser("datasets", help="list registered datasets")
    return parser


def parse_budgets(text: str) -> list[float | str]:
    """``--sparsities``: fractions ("0.5") and N:M patterns ("2:4"), each once ("0.5,0.50" is one sparsity)."""
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
    return list(dict.fromkeys(budgets))


def split_list(text: str, kind=str, option: str = "") -> tuple:
    """``text``'s comma-separated items as ``kind``, each once (a method given twice is one cell, not two rows);
    ``option`` names the flag in the error."""
    try:
        return tuple(dict.fromkeys(kind(item.strip()) for item in text.split(",") if item.strip()))
    except ValueError:
        raise RobustPruneError(f"{option + ': ' if option else ''}{text!r} is not a comma-separated list of numbers "
                               "(e.g. 0.5,0.875)") from None
