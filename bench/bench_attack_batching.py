"""Batching across examples: classifier queries per second inside an attack, against raw forward throughput.

    python -m bench.bench_attack_batching [--recipe textfooler] [--n 48] [--concurrency 16] [--device auto]

A greedy search sends a handful of candidates per step; alone, its classifier calls run far
below the model's throughput. ``search_examples`` runs several searches side by side and
merges their calls (``robustprune.attack.batching``). In one process this measures

- the raw throughput: texts per second of the classifier at batch 32 on the attacked sentences;
- the attack's query throughput: distinct texts the classifier computed per second of
  forward passes, with one search at a time and with ``--concurrency`` side by side;

and checks that both attacks give identical examples (outcome, perturbed text, queries).
The classifier is the dense default from the cache (fine-tuned first if missing).
"""

from __future__ import annotations

import argparse
import time

import torch

from bench.common import machine_line


def raw_throughput(model, tokenizer, texts: list[str], max_length: int, batch_size: int = 32,
                   repeats: int = 3) -> float:
    """Texts per second of plain batched forward passes (best of ``repeats``; one warm-up pass first)."""
    from robustprune.evaluate import predict_logits

    texts = (texts * (512 // max(len(texts), 1) + 1))[:512]
    predict_logits(model, tokenizer, texts[:batch_size], max_length, batch_size)
    best = 0.0
    for _ in range(repeats):
        started = time.perf_counter()
        predict_logits(model, tokenizer, texts, max_length, batch_size)
        best = max(best, len(texts) / (time.perf_counter() - started))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--recipe", action="append", help="textfooler, textbugger, bert-attack (repeatable)")
    parser.add_argument("--n", type=int, default=48, help="test sentences attacked")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--word-vectors", default=None,
                        help="the recipes' candidates: default counter-fitted GloVe, or 'wordnet' (few per step)")
    parser.add_argument("--output", default=None)
    args = parser.parse_args()

    from robustprune.attack import AttackConfig
    from robustprune.attack.search import search_examples
    from robustprune.data import load_task_data
    from robustprune.device import resolve_device
    from robustprune.pipeline import ensure_dense, load_dense

    data = load_task_data("rotten_tomatoes")
    dense = ensure_dense("minilm", data, device=args.device)
    model, tokenizer = load_dense(dense.run_id, args.device)
    texts, labels = data.test["text"][:args.n], data.test["label"][:args.n]
    raw = raw_throughput(model, tokenizer, texts, dense.config["max_length"])
    candidates = "WordNet candidates" if args.word_vectors == "wordnet" else "default candidates"
    lines = [f"Attack query throughput, MiniLM default, first {args.n} test sentences, {candidates}, "
             f"{machine_line(resolve_device(args.device))}; raw forward throughput at batch 32: {raw:.0f} texts/s",
             "", "| recipe | searches side by side | seconds | classifier queries / s | × raw | × one at a time "
             "(seconds) | same examples |", "|---|---|---|---|---|---|---|"]
    for recipe in args.recipe or ["textfooler", "textbugger"]:
        config = AttackConfig(recipe=recipe, num_examples=args.n, max_length=dense.config["max_length"],
                              word_vectors=args.word_vectors)
        runs = {}
        for concurrency in (1, args.concurrency):
            torch.manual_seed(0)
            runs[concurrency] = search_examples(model, tokenizer, texts, labels, list(range(args.n)), config,
                                                concurrency=concurrency)
        rows = {concurrency: [(o.result, o.perturbed_text, o.num_queries) for o in run.outcomes]
                for concurrency, run in runs.items()}
        same = rows[1] == rows[args.concurrency]
        for concurrency, run in runs.items():
            rate = run.queries_computed / max(run.classifier_seconds, 1e-9)
            speedup = runs[1].wall_seconds / run.wall_seconds
            lines.append(f"| {recipe} | {concurrency} | {run.wall_seconds:.1f} | {rate:.0f} | {rate / raw:.2f} | "
                         f"{speedup:.2f} | {'yes' if same else 'NO'} |")
            print(lines[-1], flush=True)
    report = "\n".join(lines)
    print("\n" + report)
    if args.output:
        with open(args.output, "w") as handle:
            handle.write(report + "\n")


if __name__ == "__main__":
    main()
