"""``robustprune frontier``: up to which sparsity a method keeps the dense start's robustness, with the evidence."""

from __future__ import annotations

import argparse
import sys

from robustprune.cli.arguments import (PRESET_NAMES, add_attack_arguments, add_data_arguments,
                                       add_finetune_arguments, add_seed_arguments, add_soup_arguments, positive_int,
                                       split_list)
from robustprune.errors import RobustPruneError


def add_frontier_parser(commands) -> None:
    parser = commands.add_parser(
        "frontier", help="up to which sparsity does a method keep the dense start's robustness? The paper's levels, "
                         "then bisection; each probe kept / lost / undecided against the dense start on the same "
                         "sentences (a cached prune + attack run, here or on Ray)")
    parser.add_argument("--method", "--methods", dest="frontier_methods", default=None,
                        help="unstructured method(s), comma-separated, each optionally with +refit / +adv=N (e.g. "
                             "krp, or krp,sparsegpt to compare frontiers); with --preset paper, krp is the paper's "
                             "krp+refit")
    parser.add_argument("--recipe", "--recipes", dest="recipes", required=True,
                        help="attack(s), comma-separated: textbugger, textfooler, bert-attack")
    parser.add_argument("--preset", default=None, choices=sorted(PRESET_NAMES),
                        help="a paper's whole setup, e.g. paper: soup chosen under attack, krp+refit, 512 calibration "
                             "texts (explicit flags win)")
    parser.add_argument("--dense-start", "--dense", dest="dense", default=None, choices=["finetune", "soup"],
                        help="the dense start every probe is compared with (default finetune)")
    parser.add_argument("--margin", type=float, default=5.0,
                        help="kept: the 95%% interval of the drop in accuracy under attack ends above -MARGIN points "
                             "(default 5)")
    parser.add_argument("--resolution", type=float, default=0.025,
                        help="bisect down to gaps of this sparsity (default 0.025)")
    parser.add_argument("--levels", default="0.3,0.5,0.7,0.875",
                        help="sparsities probed first (default the paper's, %(default)s)")
    add_seed_arguments(parser, "K seeds per probe (--seed-over); verdicts use the pooled difference, a bootstrap over "
                               "sentences")
    parser.add_argument("--ray", nargs="?", const="auto", default=None, metavar="ADDRESS",
                        help="run the probes as Ray tasks: on this machine (no ADDRESS) or on the cluster at ADDRESS")
    parser.add_argument("--cpus-per-task", type=positive_int, default=1, help="Ray: CPUs each task asks for")
    parser.add_argument("--shard-size", type=int, default=None, help="examples per attack shard")
    parser.add_argument("--html", default=None, metavar="FILE",
                        help="also write the answer, a chart of every probe with its interval, and the table as one "
                             "self-contained HTML file")
    add_attack_arguments(parser, with_recipe=False)
    add_data_arguments(parser)
    add_finetune_arguments(parser)
    add_soup_arguments(parser)


def frontier_request(args):
    """The ``FrontierRequest`` of the arguments (``apply_preset`` has filled the preset's settings)."""
    from robustprune.cli.sweep import sweep_spec
    from robustprune.frontier import FrontierRequest
    from robustprune.presets import get_preset

    preset = get_preset(args.preset) if args.preset else None
    if not args.frontier_methods and preset is None:
        raise RobustPruneError("frontier needs a method: --method krp (or several, comma-separated), or --preset paper")
    methods = split_list(args.frontier_methods) if args.frontier_methods else (preset.method_variant,)
    if preset is not None:  # "krp" in the paper's setup is the paper's krp: with its re-fitted head
        methods = tuple(preset.method_variant if method == preset.method else method for method in methods)
    levels = split_list(args.levels, float, "--levels")
    spec_args = argparse.Namespace(**{**vars(args), "methods": ",".join(methods), "sparsities": args.levels,
                                      "flops_reductions": "0.5", "sample_tokens": None})
    from dataclasses import replace

    spec = replace(sweep_spec(spec_args), sparsities=levels)
    return FrontierRequest(spec, margin_points=args.margin, resolution=args.resolution, levels=levels,
                           preset=args.preset, ray=args.ray)


def command_frontier(args) -> dict:
    from robustprune.frontier import run_frontier
    from robustprune.output_files import checked_output
    from robustprune.store import RunStore
    from robustprune.sweep import open_executor, sweep_data
    from robustprune.sweep.events import PrintedEvents

    request = frontier_request(args)
    html_output = checked_output(args.html, "--html", "frontier.html") if args.html else None  # before any run
    data = sweep_data(request.sweep)
    request.validate(data)  # before Ray or any run starts
    with open_executor(args.ray, args.device, cpus_per_task=args.cpus_per_task) as executor:
        result = run_frontier(request, data=data, store=RunStore(), executor=executor,
                              shard_size=args.shard_size or executor.default_shard_size, events=PrintedEvents)
    if not args.json:
        for line in result.lines():
            print(line)
        print()
        print(result.table().to_markdown(index=False, floatfmt=".3g"))
        print(f"\n(margin {request.margin_points:g} points, resolution {request.resolution:g}; differences are "
              "pruned − dense in points with their 95 % interval and p; {computed} runs computed, {probes} probes, "
              "{seconds:.0f} s)".format(computed=result.computed, probes=result.probes, seconds=result.seconds))
        from robustprune.frontier.answer import more_sentences

        wanted, why = more_sentences(result.answers, request.sweep.num_examples, len(data.test))
        if why:
            print(why + (f" (-n {wanted})" if wanted else ""))
    if html_output is not None:
        write_frontier_html(html_output, result)
    if result.failed:
        print(f"{len(result.failed)} run(s) failed; the others are cached. Run the same command again to retry them:",
              file=sys.stderr)
        for failure in result.failed:
            print(f"  {failure['label']}: {(failure['error'] or '').splitlines()[0] if failure['error'] else ''}",
                  file=sys.stderr)
    return result.to_dict()


def write_frontier_html(output, result) -> None:
    """The answer lines, one chart and one table per method and attack, as one self-contained HTML file
    (``output``: a checked ``output_files.OutputFile``)."""
    from robustprune.frontier.figure import frontier_figure
    from robustprune.output_files import write_output
    from robustprune.report.document import ReportDocument

    request = result.request
    document = ReportDocument("Robustness frontier", f"{request.sweep.model} on {request.sweep.dataset}; margin "
                              f"{request.margin_points:g} points, resolution {request.resolution:g}; request "
                              f"{request.run_id()}")
    for line in result.lines():
        document.paragraph(line)
    for answer in result.answers:
        document.heading(f"{answer.label} under {answer.recipe}")
        document.figure(frontier_figure(answer))
        document.table(answer.table())
    write_output(output, document.render())


__all__ = ["add_frontier_parser", "command_frontier", "frontier_request", "write_frontier_html"]
