"""What pruning buys on the embedded default: latency, throughput and file size, as ratios to dense.

    python -m bench.bench_inference [--device auto] [--flops-reduction 0.5] [--output bench/results/inference-cpu.md]

- K-prune and structured magnitude remove heads and neurons: a real speed-up on any device.
- Unstructured sparsity (krp) keeps the shapes: dense kernels run as fast as before, but
  the weights store smaller as a bitmask plus non-zeros (``robustprune.sparse_storage``).
- 2:4 semi-structured sparsity runs on sparse tensor cores with
  ``torch.sparse.to_sparse_semi_structured`` (fp16, CUDA with compute capability ≥ 8.0 only).
Every number is measured in this process; ratios are to the dense model measured here.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch
from safetensors.torch import save_file

from bench.common import machine_line
from robustprune.data import load_task_data
from robustprune.device import resolve_device
from robustprune.evaluate import tokenize
from robustprune.models import adapter
from robustprune.pipeline import ensure_dense, load_dense, load_pruned, prune
from robustprune.progress import TqdmProgress
from robustprune.prune import PruneConfig
from robustprune.sparse_storage import save_sparse
from robustprune.structured import KPruneConfig
from robustprune.structured.runs import load_structured_run, prune_structured


@torch.no_grad()
def latency_and_throughput(model, tokenizer, texts: list[str], max_length: int, repeats: int) -> tuple[float, float]:
    """Median ms for one text; texts per second in batches of 64 (padded to ``max_length``)."""
    device = next(model.parameters()).device
    single = tokenizer(texts[:1], padding="max_length", truncation=True, max_length=max_length, return_tensors="pt")
    single = {key: value.to(device) for key, value in single.items()}
    batch = tokenize(tokenizer, texts[:64], max_length, device)

    def synchronise():
        if device.type == "cuda":
            torch.cuda.synchronize()

    for _ in range(3):
        model(**single)
    timings = []
    for _ in range(repeats):
        synchronise()
        start = time.perf_counter()
        model(**single)
        synchronise()
        timings.append(time.perf_counter() - start)
    start = time.perf_counter()
    for _ in range(max(1, repeats // 10)):
        model(**batch)
    synchronise()
    throughput = 64 * max(1, repeats // 10) / (time.perf_counter() - start)
    return 1000 * statistics.median(timings), throughput


def file_sizes_mb(model) -> tuple[float, float]:
    """Prunable weights as dense fp32 safetensors, and as bitmask + non-zeros."""
    weights = {linear.name: linear.module.weight.detach().cpu().contiguous() for linear in adapter.prunable_linears(model)}
    with tempfile.TemporaryDirectory() as folder:
        save_file(weights, f"{folder}/dense.safetensors")
        save_sparse(weights, f"{folder}/sparse.safetensors")
        return (Path(f"{folder}/dense.safetensors").stat().st_size / 2**20,
                Path(f"{folder}/sparse.safetensors").stat().st_size / 2**20)


def semi_structured_row(device, texts, max_length, repeats, dense_latency, progress) -> str:
    if device.type != "cuda" or torch.cuda.get_device_capability(device)[0] < 8:
        return "| krp 2:4 (sparse tensor cores) | skipped: needs a CUDA GPU with compute capability ≥ 8.0 | | | |"
    from torch.sparse import to_sparse_semi_structured

    run_id = prune(PruneConfig("krp", 0.0, pattern="2:4"), device=str(device), progress=progress).run_id
    model, tokenizer = load_pruned(run_id, str(device))
    model = model.half()
    for linear in adapter.prunable_linears(model):
        linear.module.weight = torch.nn.Parameter(to_sparse_semi_structured(linear.module.weight.detach()))
    latency, throughput = latency_and_throughput(model, tokenizer, texts, max_length, repeats)
    return f"| krp 2:4, fp16 semi-structured | {latency:.2f} | {dense_latency / latency:.2f} | {throughput:.0f} | |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--flops-reduction", type=float, default=0.5)
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--sparsities", default="0.5,0.7,0.875", help="krp runs whose storage is measured")
    parser.add_argument("--output", default=None)
    args = parser.parse_args()
    device = resolve_device(args.device)
    progress = TqdmProgress()
    data = load_task_data("rotten_tomatoes")
    texts = data.test["text"]
    dense = ensure_dense(device=args.device, progress=progress)
    max_length = dense.config["max_length"]
    model, tokenizer = load_dense(dense.run_id, args.device)
    dense_latency, dense_throughput = latency_and_throughput(model, tokenizer, texts, max_length, args.repeats)
    dense_mb, _ = file_sizes_mb(model)
    lines = [f"Inference at {max_length} tokens, {machine_line(device)}", "",
             "| model | latency ms (1 text) | speed-up | texts/s (batch 64) | throughput × dense |",
             "|---|---|---|---|---|",
             f"| dense MiniLM-L6 ({dense.accuracy:.1%}) | {dense_latency:.2f} | 1.00 | {dense_throughput:.0f} | 1.00 |"]
    for method in ("kprune", "structured-magnitude"):
        run = prune_structured(method, KPruneConfig(flops_reduction=args.flops_reduction), device=args.device,
                               progress=progress)
        pruned, pruned_tokenizer = load_structured_run(run.run_id, args.device)
        latency, throughput = latency_and_throughput(pruned, pruned_tokenizer, texts, max_length, args.repeats)
        lines.append(f"| {method} −{args.flops_reduction:.0%} FLOPs ({run.accuracy_sparse:.1%}, "
                     f"{run.result.params_after / 1e6:.1f}M params) | {latency:.2f} | {dense_latency / latency:.2f} | "
                     f"{throughput:.0f} | {throughput / dense_throughput:.2f} |")
    size_lines = ["", "| unstructured run | accuracy | encoder Linear weights, dense fp32 MB | bitmask + non-zeros MB "
                  "| size × dense |", "|---|---|---|---|---|"]
    for sparsity in [float(value) for value in args.sparsities.split(",")]:
        result = prune(PruneConfig("krp", sparsity), device=args.device, progress=progress)
        sparse_model, _ = load_pruned(result.run_id, args.device)
        latency, _ = latency_and_throughput(sparse_model, tokenizer, texts, max_length, args.repeats)
        _, sparse_mb = file_sizes_mb(sparse_model)
        lines.append(f"| krp {sparsity:.1%} unstructured (dense kernels) | {latency:.2f} | "
                     f"{dense_latency / latency:.2f} | | |")
        size_lines.append(f"| krp {sparsity:.1%} | {result.accuracy_sparse:.1%} | {dense_mb:.1f} | {sparse_mb:.1f} | "
                          f"{sparse_mb / dense_mb:.2f} |")
    lines.append(semi_structured_row(device, texts, max_length, args.repeats, dense_latency, progress))
    table = "\n".join(lines + size_lines)
    print("\n" + table)
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(table + "\n")


if __name__ == "__main__":
    main()
