"""Our attack loop against TextAttack's stock one: same results, and how much faster.

Both sides attack the same classifier on the same sentences with the same recipe (the
same offline parts), every example from the same seed (``robustprune.attack.seeding``). Stock: TextAttack's ``Attacker`` with its
``HuggingFaceModelWrapper`` (every query padded to 512 tokens, results cached per
example only) and the sentence encoder uncached. Ours: ``run_attack`` (per-batch
padding, a run-wide cache of logits and of sentence encodings, one big batch per step).
Per example the outcome, the perturbed text and the query count must agree.

The classifier is the embedded MiniLM with a logistic-regression head fitted on
Pang & Lee sentences (a few seconds), or ``--model DIR`` for a fine-tuned one.

    python bench/bench_attack.py --recipe textfooler --n 10
"""

from __future__ import annotations

import argparse
import json
import random
import time

import torch

from robustprune.attack import AttackConfig, run_attack
from robustprune.data.embedded import pang_lee_file, read_polarity_csv
from robustprune.evaluate import batched, tokenize
from robustprune.models.registry import load_classifier


def sentences(n: int, seed: int, max_words: int) -> tuple[list[str], list[int]]:
    texts, labels = read_polarity_csv(pang_lee_file("sentences"))
    pairs = [(text, label) for text, label in zip(texts, labels) if len(text.split()) <= max_words]
    random.Random(seed).shuffle(pairs)
    return [text for text, _ in pairs[:n]], [label for _, label in pairs[:n]]


@torch.no_grad()
def fit_head(model, tokenizer, texts: list[str], labels: list[int], max_length: int) -> None:
    """Logistic regression on the frozen encoder's pooled output, written into the classifier."""
    model.eval()
    device = next(model.parameters()).device
    base = model.base_model
    features = torch.cat([base(**tokenize(tokenizer, batch, max_length, device)).pooler_output.float().cpu()
                          for batch in batched(texts, 64)])
    target = torch.tensor(labels)
    head = torch.nn.Linear(features.shape[1], 2)
    optimiser = torch.optim.Adam(head.parameters(), lr=0.05)
    with torch.enable_grad():
        for _ in range(300):
            optimiser.zero_grad()
            torch.nn.functional.cross_entropy(head(features), target).backward()
            optimiser.step()
    model.classifier.weight.copy_(head.weight)
    model.classifier.bias.copy_(head.bias)


def stock_attack(model, tokenizer, texts, labels, config: AttackConfig):
    from robustprune.attack.recipes import build_recipe
    from robustprune.attack.recipes.parts import RecipeParts
    from robustprune.attack.resources import import_textattack
    from robustprune.attack.seeding import example_seed

    textattack = import_textattack()
    wrapper = textattack.models.wrappers.HuggingFaceModelWrapper(model, tokenizer)
    parts = RecipeParts(device=str(next(model.parameters()).device), max_length=config.max_length,
                        mlm_path=config.mlm_path, cached_encoder=False)
    attack = build_recipe(config.recipe, wrapper, parts).attack
    # TextAttack's Attacker seeds once per dataset; ours seeds every example from (seed, index), so the
    # stock side attacks one example per Attacker, seeded the same way
    started = time.perf_counter()
    results = []
    for index, pair in enumerate(list(zip(texts, labels))[:config.num_examples]):
        arguments = textattack.AttackArgs(num_examples=1, random_seed=example_seed(config.seed, index), silent=True,
                                          disable_stdout=True)
        attacker = textattack.Attacker(attack, textattack.datasets.Dataset([pair]), arguments)
        results.extend(attacker.attack_dataset())
    return results, time.perf_counter() - started


def outcome(result) -> tuple[str, str, int]:
    status = type(result).__name__.replace("AttackResult", "").lower()
    return status, result.perturbed_result.attacked_text.text, int(result.perturbed_result.num_queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", action="append", help="textfooler, textbugger, bert-attack (repeatable)")
    parser.add_argument("--n", type=int, default=10, help="sentences to attack")
    parser.add_argument("--model", default=None,
                        help="a fine-tuned classifier directory (default: MiniLM with a fitted head)")
    parser.add_argument("--mlm", default=None, help="masked LM directory for bert-attack")
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--max-words", type=int, default=25, help="attack sentences of at most this many words")
    parser.add_argument("--seed", type=int, default=765)
    parser.add_argument("--json", default=None, help="also write the report to this file")
    arguments = parser.parse_args()
    torch.manual_seed(arguments.seed)

    model, tokenizer = load_classifier(arguments.model or "minilm", num_labels=None if arguments.model else 2)
    if arguments.model is None:
        train_texts, train_labels = sentences(600, arguments.seed + 1, 60)
        fit_head(model, tokenizer, train_texts, train_labels, arguments.max_length)
    texts, labels = sentences(arguments.n, arguments.seed, arguments.max_words)
    report = []
    for recipe in arguments.recipe or ["textfooler", "textbugger"]:
        config = AttackConfig(recipe=recipe, num_examples=arguments.n, seed=arguments.seed,
                              max_length=arguments.max_length, mlm_path=arguments.mlm, similarity=False)
        stock_results, stock_seconds = stock_attack(model, tokenizer, texts, labels, config)
        ours = run_attack(model, tokenizer, texts, labels, config)
        stock_rows = [outcome(result) for result in stock_results]
        our_rows = [(e.result.replace("succeeded", "successful"), e.perturbed_text, e.num_queries)
                    for e in ours.examples]
        mismatches = [index for index, (a, b) in enumerate(zip(stock_rows, our_rows)) if a != b]
        row = {"recipe": ours.summary.recipe_label, "examples": len(texts),
               "succeeded": ours.summary.successful_attacks, "failed": ours.summary.failed_attacks,
               "skipped": ours.summary.skipped_attacks, "identical": not mismatches, "mismatches": mismatches,
               "stock_seconds": round(stock_seconds, 2), "ours_seconds": round(ours.summary.wall_seconds, 2),
               "speedup": round(stock_seconds / ours.summary.wall_seconds, 2),
               "queries": sum(r[2] for r in our_rows), "queries_computed": ours.summary.queries_computed}
        report.append(row)
        print(json.dumps(row), flush=True)
        for index in mismatches:
            print(f"  example {index}: stock {stock_rows[index]}\n              ours  {our_rows[index]}")
    if arguments.json:
        with open(arguments.json, "w", encoding="utf-8") as handle:
            json.dump(report, handle, indent=2)


if __name__ == "__main__":
    main()
