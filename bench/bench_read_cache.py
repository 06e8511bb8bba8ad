"""An attack on whole reviews, with the caches keyed by what each model reads against one entry per distinct text.

The classifier reads a review to its first 256 tokens (about 200 words of a 700-word review) and so does the
sentence encoder of the similarity constraint; TextBugger ranks every word by deleting it and, when a review holds,
bugs every word in turn. A text that differs from one computed before only past the cut is the same input: the
wrappers (``attack/wrapper.py``, ``attack/encoder.py``) key their caches by the truncated token ids and compute it
once. The baseline, in the same process, is the same wrappers with one entry per distinct string (the caches as
they were): the outcomes must be identical, example by example; the bench prints both times and their ratio.

    python -m bench.bench_read_cache [--dataset movie_reviews] [--run finetune-…] [-n 3] [--recipe textbugger]
        [--out bench/results/read-cache-cpu.md]

The dense model is a cached fine-tune of ``--dataset`` (the newest, or ``--run``); the texts are its first ``-n``
test texts, attacked as the model reads them.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import platform
import sys
import time
from pathlib import Path

import torch

SUFFIX = 8  # bytes of a text's digest appended to its key: one entry per distinct string


def one_entry_per_text(wrapper_class, encoder_class):
    """The two wrappers as before: a key per distinct text (its read, then its digest), computed from the read."""

    def distinct(reads, texts):
        return [read + hashlib.blake2b(text.encode(), digest_size=SUFFIX).digest() for read, text in zip(reads, texts)]

    class PerTextWrapper(wrapper_class):
        def _read(self, texts):
            return distinct(super()._read(texts), texts)

        def _padded(self, batch):
            return super()._padded([read[:-SUFFIX] for read in batch])

    class PerTextEncoder(encoder_class):
        def _read(self, sentences):
            return distinct(super()._read(sentences), sentences)

    return PerTextWrapper, PerTextEncoder


@contextlib.contextmanager
def per_text_caches():
    from robustprune.attack import wrapper
    from robustprune.attack.recipes import parts

    saved = wrapper.CachedModelWrapper, parts.CachedSBERT
    wrapper.CachedModelWrapper, parts.CachedSBERT = one_entry_per_text(*saved)
    try:
        yield
    finally:
        wrapper.CachedModelWrapper, parts.CachedSBERT = saved


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="movie_reviews")
    parser.add_argument("--run", default=None, help="the dense fine-tune (default: the newest of --dataset)")
    parser.add_argument("-n", type=int, default=3, help="test texts attacked (default 3)")
    parser.add_argument("--recipe", default="textbugger")
    parser.add_argument("--out", default=None, help="write the table here (Markdown)")
    args = parser.parse_args(argv)

    from robustprune.attack.run import AttackConfig
    from robustprune.attack.search import search_examples
    from robustprune.data import load_task_data
    from robustprune.loading import load_dense
    from robustprune.store import RunStore

    store = RunStore()
    runs = [record for record in store.list(kind="finetune") if record.dataset == args.dataset]
    if not runs and args.run is None:
        print(f"no cached fine-tune of {args.dataset}; run `robustprune finetune --dataset {args.dataset}` first")
        return 2
    run_id = args.run or max(runs, key=lambda record: record.created).run_id
    model, tokenizer = load_dense(run_id, "cpu", store)
    data = load_task_data(args.dataset)
    config = AttackConfig(recipe=args.recipe, num_examples=args.n, similarity=False).for_data(data)
    texts, labels = data.test["text"], data.test["label"]
    search_examples(model, tokenizer, ["a short text to load every part of the recipe"], [0], [0], config)
    searches, seconds = {}, {}
    for name in ("one entry per text", "one entry per input read"):  # each with its own, fresh caches
        with per_text_caches() if name == "one entry per text" else contextlib.nullcontext():
            started = time.perf_counter()
            searches[name] = search_examples(model, tokenizer, texts, labels, list(range(args.n)), config)
            seconds[name] = time.perf_counter() - started
    before, after = searches.values()
    fields = ("result", "perturbed_text", "num_queries")
    identical = sum(all(getattr(a, f) == getattr(b, f) for f in fields)
                    for a, b in zip(before.outcomes, after.outcomes))
    words = sum(len(texts[index].split()) for index in range(args.n)) / args.n
    lines = [
        f"`python -m bench.bench_read_cache {' '.join(argv if argv is not None else sys.argv[1:])}` on "
        f"{platform.machine()}, {os.cpu_count()} CPUs, {torch.get_num_threads()} torch threads, torch "
        f"{torch.__version__}; {run_id} ({args.dataset}), {args.recipe}, the first {args.n} test texts "
        f"({words:.0f} words on average), read to {config.max_length} tokens; load average "
        f"{' '.join(f'{load:.1f}' for load in os.getloadavg())} at the end.",
        "",
        "| caches keyed by | seconds | classifier inputs computed | cached |",
        "|---|---|---|---|",
        *(f"| {name} | {seconds[name]:.1f} | {search.queries_computed} | {search.queries_cached} |"
          for name, search in searches.items()),
        "",
        f"Outcomes identical (result, perturbed text, TextAttack's query count): {identical} of {args.n}. "
        f"Time, keyed by what is read / one entry per text: "
        f"{seconds['one entry per input read'] / seconds['one entry per text']:.2f}x.",
    ]
    text = "\n".join(lines)
    print(text)
    if args.out:
        Path(args.out).write_text(f"# An attack on whole texts: caches keyed by what the models read\n\n{text}\n")
    return 0 if identical == args.n else 1


if __name__ == "__main__":
    sys.exit(main())
