"""Pruning cost per method: time and peak memory, as ratios to magnitude in the same process.

    python -m bench.bench_prune [--device auto] [--calibration 128] [--models default,bert-base]

``default`` is the embedded MiniLM-L6 (its dense fine-tuned run from the cache, trained
first if missing); ``bert-base`` is a randomly initialised BERT-base-sized classifier
(12 layers, hidden 768, FFN 3072): its accuracy means nothing, its cost is real.
Prints a Markdown table; ``--output`` also writes it to a file.
"""

from __future__ import annotations

import argparse
import copy
import sys

import torch
from transformers import BertConfig, BertForSequenceClassification

from bench.common import machine_line, measure
from robustprune.data import load_task_data
from robustprune.device import resolve_device
from robustprune.pipeline import calibration_split, ensure_dense, load_dense
from robustprune.prune import METHODS, PruneConfig
from robustprune.prune.engine import prune_model


def models_to_bench(names: list[str], device: str):
    data = load_task_data("rotten_tomatoes")
    for name in names:
        if name == "default":
            dense = ensure_dense("minilm", data, device=device)
            model, tokenizer = load_dense(dense.run_id, device)
            yield "MiniLM-L6 (default)", model, tokenizer, data
        elif name == "bert-base":
            _, tokenizer = load_dense(ensure_dense("minilm", data, device=device).run_id, device)
            torch.manual_seed(0)
            model = BertForSequenceClassification(BertConfig(vocab_size=tokenizer.vocab_size, num_labels=2))
            yield "BERT-base size (random)", model.to(resolve_device(device)).eval(), tokenizer, data
        else:
            sys.exit(f"unknown model {name!r}; use default or bert-base")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--calibration", type=int, default=128)
    parser.add_argument("--sparsity", type=float, default=0.5)
    parser.add_argument("--models", default="default,bert-base")
    parser.add_argument("--output", default=None)
    args = parser.parse_args()
    device = resolve_device(args.device)
    lines = [f"Pruning cost at {args.sparsity:.0%} sparsity, {args.calibration} calibration texts, "
             f"{machine_line(device)}", "",
             "| model | method | seconds | × magnitude | peak memory MB | × magnitude |", "|---|---|---|---|---|---|"]
    for label, model, tokenizer, data in models_to_bench(args.models.split(","), args.device):
        baseline = None
        # one untimed magnitude run first: the first run of a process also pays for one-off set-up
        # (allocator growth, kernel selection) that would otherwise inflate the baseline
        for method in ("warm-up", "magnitude", "wanda", "sparsegpt", "krp"):
            config = PruneConfig(method.replace("warm-up", "magnitude"), args.sparsity, calibration=args.calibration)
            calibration, heldout = calibration_split(data, config)
            candidate = copy.deepcopy(model)
            _, cost = measure(lambda: prune_model(candidate, tokenizer, calibration, heldout, METHODS[config.method],
                                                  config, data.max_length), device)
            if method == "warm-up":
                continue
            baseline = baseline or cost
            lines.append(f"| {label} | {method} | {cost.seconds:.1f} | {cost.seconds / baseline.seconds:.2f} | "
                         f"{cost.peak_memory_mb:.0f} | {cost.peak_memory_mb / max(baseline.peak_memory_mb, 1):.2f} |")
            print(lines[-1], flush=True)
            del candidate
    table = "\n".join(lines)
    print("\n" + table)
    if args.output:
        with open(args.output, "w") as handle:
            handle.write(table + "\n")


if __name__ == "__main__":
    main()
