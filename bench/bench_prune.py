"""Pruning cost per method: time and peak memory, as ratios to magnitude in the same process;
and per layer, each method's solve against the plain float32 path.

    python -m bench.bench_prune [--device auto] [--calibration 128] [--models default,bert-base]
                                [--layers-only] [--layer-reps 5]

``default`` is the embedded MiniLM-L6 (its dense fine-tuned run from the cache, trained
first if missing); ``minilm-pretrained`` the same encoder as it ships (no fine-tune: for the
per-layer costs, which do not need a trained head); ``bert-base`` is a randomly initialised BERT-base-sized classifier
(12 layers, hidden 768, FFN 3072): its accuracy means nothing, its cost is real.

Per layer: one block's calibration inputs (dense stream, and a sparse one from the model
magnitude-pruned at the same sparsity) are captured once; for each Linear shape of the block
(attention in → out, FFN in, FFN out) every method prunes the layer from those inputs
(``add_batch`` then ``prune``), and SparseGPT and krp also along the *plain float32 path*:
the same solve with nothing done for reproducibility (factorisations and krp's solve in
float32 on every thread, as the reference does). Runs alternate, median of ``--layer-reps``.
Prints Markdown tables; ``--output`` also writes them to a file.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time

import torch
from transformers import BertConfig, BertForSequenceClassification

from bench.common import machine_line, measure
from robustprune.data import load_task_data
from robustprune.device import resolve_device
from robustprune.pipeline import calibration_split, ensure_dense, load_dense
from robustprune.prune import METHODS, PruneConfig
from robustprune.models import adapter, load_classifier
from robustprune.prune.engine import capture_inputs, encoder_inputs, prune_model, run_block
from robustprune.prune.obs import HessianAccumulator, obs_prune

OBS_METHODS = ("sparsegpt", "krp")
LAYERS = ("query", "ffn_in", "ffn_out")  # the block's Linear shapes: in → in, in → FFN, FFN → in


def models_to_bench(names: list[str], device: str):
    data = load_task_data("rotten_tomatoes")
    for name in names:
        if name == "default":
            dense = ensure_dense("minilm", data, device=device)
            model, tokenizer = load_dense(dense.run_id, device)
            yield "MiniLM-L6 (default)", model, tokenizer, data
        elif name == "minilm-pretrained":  # the embedded MiniLM-L6 as it ships, fresh head: per-layer costs only
            model, tokenizer = load_classifier("minilm", num_labels=2)
            yield "MiniLM-L6 (pretrained, not fine-tuned)", model.to(resolve_device(device)).eval(), tokenizer, data
        elif name == "bert-base":
            _, tokenizer = load_classifier("minilm", num_labels=2)  # its tokenizer only: no fine-tune needed
            torch.manual_seed(0)
            model = BertForSequenceClassification(BertConfig(vocab_size=tokenizer.vocab_size, num_labels=2))
            yield "BERT-base size (random)", model.to(resolve_device(device)).eval(), tokenizer, data
        else:
            sys.exit(f"unknown model {name!r}; use default, minilm-pretrained or bert-base")


@torch.no_grad()
def block_inputs(model, tokenizer, texts: list[str], max_length: int, config: PruneConfig, block_index: int):
    """Per Linear of LAYERS in block ``block_index``: its weight and its calibration inputs batch by batch
    (padding removed, as the engine's hooks give them) in the dense model and in the model magnitude-pruned
    at ``config.sparsity`` (the sparse stream, so that krp's inputs differ)."""
    sparse_model = copy.deepcopy(model)
    for linear in adapter.prunable_linears(sparse_model):
        linear.module.weight.copy_(METHODS["magnitude"](linear.module.weight, config).prune())
    captured = {}
    for stream, stream_model in (("dense", model), ("sparse", sparse_model)):
        blocks = adapter.blocks(stream_model)
        linears = {name: item.module for name, item in adapter.block_linears(stream_model, block_index).items()
                   if name in LAYERS}
        store, token_mask = {}, [None]
        with capture_inputs(linears, store, token_mask):
            for batch in encoder_inputs(stream_model, tokenizer, texts, max_length, config.batch_size, True):
                hidden = batch.dense_hidden
                for block in blocks[:block_index]:
                    hidden = run_block(block, hidden, batch)
                token_mask[0] = batch.token_mask
                run_block(blocks[block_index], hidden, batch)
                for name in linears:
                    captured.setdefault((stream, name), []).append(store[name].contiguous())
        if stream == "dense":
            weights = {name: linear.weight.detach().float().clone() for name, linear in linears.items()}
    return {name: (weights[name], captured[("sparse", name)], captured[("dense", name)]) for name in LAYERS}


def library_prune(method: str, weight, sparse_batches, dense_batches, config: PruneConfig):
    pruner = METHODS[method](weight, config)
    for sparse, dense in zip(sparse_batches, dense_batches):
        pruner.add_batch(sparse, dense if pruner.uses_dense_inputs else None)
    return pruner.prune()


def plain_float32_prune(method: str, weight, sparse_batches, dense_batches, config: PruneConfig):
    """The same solve without the reproducibility measures: factorisations and krp's rectified weight
    (a solve, W* = W C H⁻¹) in float32 on every thread, as the reference SparseGPT does."""
    accumulator = HessianAccumulator(weight.shape[1], weight.device, with_cross=method == "krp")
    for sparse, dense in zip(sparse_batches, dense_batches):
        accumulator.add(sparse, dense if method == "krp" else None)
    damping = accumulator.damping(config.damping)
    hessian = accumulator.damped_hessian(damping)
    factor = torch.linalg.cholesky(torch.cholesky_inverse(torch.linalg.cholesky(hessian)), upper=True)
    target = weight
    if method == "krp":
        target = torch.linalg.solve(hessian, (weight @ accumulator.damped_cross(damping)).T).T
    return obs_prune(target, factor, config.target_sparsity, config.nm, config.blocksize)


def seconds_of(function, device: torch.device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    function()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def layer_table(label: str, model, tokenizer, data, args, device: torch.device) -> list[str]:
    """Per layer shape and method: median seconds of the library path, of the plain float32 path, and their ratio."""
    config = PruneConfig("magnitude", args.sparsity, calibration=args.calibration)
    calibration, _ = calibration_split(data, config)
    block_index = len(adapter.blocks(model)) // 2
    inputs = block_inputs(model, tokenizer, calibration, data.max_length, config, block_index)
    tokens = sum(batch.shape[0] for batch in inputs[LAYERS[0]][1])
    lines = [f"Per layer, {label}, block {block_index}, {tokens} calibration tokens, {args.sparsity:.0%}; "
             f"median of {args.layer_reps}, alternating; {machine_line(device)}", "",
             "| layer (in → out) | method | seconds | plain float32 path s | × plain float32 |", "|---|---|---|---|---|"]
    for name in LAYERS:
        weight, sparse_batches, dense_batches = inputs[name]
        shape = f"{name} ({weight.shape[1]} → {weight.shape[0]})"
        paths = {(method, "library"): library_prune for method in METHODS}
        paths.update({(method, "plain"): plain_float32_prune for method in OBS_METHODS})
        times = {key: [] for key in paths}
        for method in METHODS:  # one untimed run of each: first calls pay for one-off set-up
            library_prune(method, weight, sparse_batches, dense_batches, PruneConfig(method, args.sparsity))
        for repetition in range(args.layer_reps):
            order = list(paths) if repetition % 2 == 0 else list(reversed(paths))
            for method, path in order:
                run = paths[(method, path)]
                method_config = PruneConfig(method, args.sparsity)
                times[(method, path)].append(seconds_of(
                    lambda: run(method, weight, sparse_batches, dense_batches, method_config), device))
        for method in METHODS:
            library = statistics.median(times[(method, "library")])
            if method in OBS_METHODS:
                plain = statistics.median(times[(method, "plain")])
                lines.append(f"| {shape} | {method} | {library:.3f} | {plain:.3f} | {library / plain:.2f} |")
            else:
                lines.append(f"| {shape} | {method} | {library:.3f} | — | — |")
            print(lines[-1], flush=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--calibration", type=int, default=128)
    parser.add_argument("--sparsity", type=float, default=0.5)
    parser.add_argument("--models", default="default,bert-base")
    parser.add_argument("--output", default=None)
    parser.add_argument("--layers-only", action="store_true", help="only the per-layer table")
    parser.add_argument("--layer-reps", type=int, default=5)
    args = parser.parse_args()
    device = resolve_device(args.device)
    layer_lines = []
    for label, model, tokenizer, data in models_to_bench(args.models.split(","), args.device):
        layer_lines += layer_table(label, model, tokenizer, data, args, device) + [""]
    if args.layers_only:
        return write_tables(layer_lines, args.output)
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
    write_tables(lines + [""] + layer_lines, args.output)


def write_tables(lines: list[str], output: str | None) -> None:
    text = "\n".join(lines).rstrip() + "\n"
    print("\n" + text)
    if output:
        with open(output, "w") as handle:
            handle.write(text)


if __name__ == "__main__":
    main()
