"""``robustprune sweep`` (and ``table``, the same command): a grid of runs in one request, and its table."""

from __future__ import annotations

import sys

from robustprune.cli.arguments import parse_budgets, split_list

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
                     flops_reductions=split_list(args.flops_reductions, float, "--flops-reductions"),
                     recipes=split_list(args.recipes), num_examples=args.n, calibration=args.calibration,
                     heldout=args.heldout, seeds=args.seeds, seed_axis=args.seed_over, finetune=finetune,
                     soup=soup, attack={name: value for name, value in attack.items() if value is not None},
                     sample_tokens=args.sample_tokens, device=args.device)


def command_sweep(args) -> dict:
    from robustprune.output_files import checked_output, write_output
    from robustprune.store import RunStore
    from robustprune.sweep import open_executor, plan_sweep, run_sweep, sweep_data
    from robustprune.sweep.estimate import estimate_sweep
    from robustprune.sweep.events import PrintedEvents
    from robustprune.sweep.comparisons import seeds_markdown
    from robustprune.sweep.table import markdown_table, sweep_table

    spec = sweep_spec(args)
    # the CSV's path is checked before any run, not after all of them
    csv_output = None if args.dry_run else checked_output(args.csv, "--csv", "table.csv")
    data = sweep_data(spec)
    with open_executor(args.ray, args.device, cpus_per_task=args.cpus_per_task) as executor:
        store = RunStore()
        shard_size = args.shard_size or executor.default_shard_size
        plan = plan_sweep(spec, data, shard_size)
        estimate = estimate_sweep(plan, store, args.device, data=data)
        print(f"sweep: {len(plan.rows)} table rows, {estimate.describe()}", file=sys.stderr)
        if args.dry_run:
            table = sweep_table(plan, store)
            if not args.json:
                print(markdown_table(table))
            return {"rows": table.to_dict("records"), "cells": len(plan.cells), "cached": estimate.cached,
                    "missing": estimate.missing, "estimated_seconds": estimate.seconds}
        result = run_sweep(spec, data=data, store=store, executor=executor, shard_size=shard_size,
                           events=PrintedEvents())
    write_output(csv_output, result.table.to_csv(index=False))
    if not args.json:
        print(markdown_table(result.table))
        if spec.seeds > 1:
            print(f"\nover {spec.seeds} seeds ({spec.seed_axis}): the mean and the seeds' range; the pooled difference "
                  "from the dense start with its 95 % interval (a bootstrap over sentences; std in the JSON)")
            print(seeds_markdown(result.summary))
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
