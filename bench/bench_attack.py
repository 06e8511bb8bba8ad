"""Our attacks against TextAttack's own recipes: same results, and how much faster; and the offline parts.

Recipe fidelity. Both sides attack the same classifier on the same sentences, every
example from the same seed (``robustprune.attack.seeding``). Stock: TextAttack's own
recipe function (``TextFoolerJin2019.build``, ``TextBuggerLi2018.build``,
``BERTAttackLi2020.build``), with only the downloads it cannot make offline pointed at
the same parts ours uses (``textattack_build``: the counter-fitted vectors, the sentence
encoder, the tagger where NLTK's is not installed, the masked LM, the homoglyph table
file the 0.3.11 wheel lacks), run by TextAttack's ``Attacker`` with its
``HuggingFaceModelWrapper``. Ours: ``run_attack`` with the project's recipe files. Per
example the outcome, the perturbed text and the query count must agree.

The parts (each its own flag, see ``--help``): ``--tagger-agreement`` (the tagger's
agreement with NLTK's, where NLTK's is installed), ``--neighbours`` (nearest neighbours
of sentiment words in GloVe before and after counter-fitting), ``--masked-lm`` (the
offline masked-LM head's fill-mask accuracy), ``--candidates`` (attack success on the
cached fine-tuned default with WordNet vs counter-fitted candidates).

The classifier is the embedded MiniLM with a logistic-regression head fitted on
Pang & Lee sentences (a few seconds), or ``--model DIR`` for a fine-tuned one.

    python bench/bench_attack.py --recipe textfooler --n 10
    python bench/bench_attack.py --tagger-agreement --neighbours --masked-lm
    python bench/bench_attack.py --candidates --n 100 --recipe textfooler
"""

from __future__ import annotations

import argparse
import contextlib
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


def textattack_build(recipe: str, wrapper, parts):
    """TextAttack's own ``build()`` of ``recipe``, its unreachable downloads pointed at ``parts``' (same) parts.

    Only these are replaced, for the duration of the build: ``WordEmbedding.counterfitted_GLOVE_embedding``
    (the vectors ``parts`` uses), ``UniversalSentenceEncoder`` (MiniLM, uncached as TextAttack's encoders are),
    ``PartOfSpeech`` where NLTK's tagger is not installed (the tagger ``parts`` uses), ``WordSwapMaskedLM``'s
    model and tokenizer (``parts``' masked LM), and ``WordSwapHomoglyphSwap`` (its constructor reads a file
    the 0.3.11 wheel lacks). Everything else is TextAttack's recipe as written.
    """
    from unittest import mock

    from robustprune.attack import masked_lm, resources
    from robustprune.attack.encoder import MiniLMEncoder
    from robustprune.attack.recipes import recipe_name
    from robustprune.attack.recipes.textbugger import HomoglyphSwap
    from robustprune.attack.tagger import nltk_tagger_installed, part_of_speech_constraint

    textattack = resources.import_textattack()
    from textattack import attack_recipes
    from textattack.shared import WordEmbedding

    key = recipe_name(recipe)
    name, module = {"textfooler": ("TextFoolerJin2019", attack_recipes.textfooler_jin_2019),
                    "textbugger": ("TextBuggerLi2018", attack_recipes.textbugger_li_2018),
                    "bert-attack": ("BERTAttackLi2020", attack_recipes.bert_attack_li_2020)}[key]

    def sentence_encoder(**kwargs):
        kwargs.setdefault("metric", "angular")  # UniversalSentenceEncoder's default
        return MiniLMEncoder(device=parts.device, batch_size=parts.encoder_batch_size, **kwargs)

    patches = [mock.patch.object(module, "UniversalSentenceEncoder", sentence_encoder)]
    if key in ("textfooler", "textbugger"):
        vectors, _, _ = parts.embedding()
        if vectors is None:
            raise SystemExit("TextAttack's recipe needs word vectors; WordNet candidates have no stock counterpart")
        patches.append(mock.patch.object(WordEmbedding, "counterfitted_GLOVE_embedding", staticmethod(lambda: vectors)))
    if key == "textfooler" and not nltk_tagger_installed():
        patches.append(mock.patch.object(module, "PartOfSpeech",
                                         lambda **kwargs: part_of_speech_constraint(**kwargs)[0]))
    if key == "textbugger":
        patches.append(mock.patch.object(module, "WordSwapHomoglyphSwap", HomoglyphSwap))
    if key == "bert-attack":
        model, tokenizer, _ = masked_lm.load_masked_lm(parts.mlm_path)
        swap = textattack.transformations.WordSwapMaskedLM
        patches.append(mock.patch.object(
            module, "WordSwapMaskedLM",
            lambda **kwargs: swap(masked_language_model=model, tokenizer=tokenizer, **kwargs)))
    with contextlib.ExitStack() as stack:
        for patch in patches:
            stack.enter_context(patch)
        return getattr(attack_recipes, name).build(wrapper)


def stock_attack(model, tokenizer, texts, labels, config: AttackConfig):
    from robustprune.attack.recipes.parts import RecipeParts
    from robustprune.attack.resources import import_textattack
    from robustprune.attack.seeding import example_seed

    textattack = import_textattack()
    wrapper = textattack.models.wrappers.HuggingFaceModelWrapper(model, tokenizer)
    parts = RecipeParts(device=str(next(model.parameters()).device), max_length=config.max_length,
                        word_vectors=config.word_vectors, mlm_path=config.mlm_path, cached_encoder=False)
    attack = textattack_build(config.recipe, wrapper, parts)
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


def recipe_fidelity(model, tokenizer, texts, labels, recipes: list[str], arguments) -> list[dict]:
    """Per recipe: TextAttack's own build() vs ours on the same parts, example by example (and the time of each)."""
    report = []
    for recipe in recipes:
        config = AttackConfig(recipe=recipe, num_examples=len(texts), seed=arguments.seed,
                              max_length=arguments.max_length, mlm_path=arguments.mlm, similarity=False)
        stock_results, stock_seconds = stock_attack(model, tokenizer, texts, labels, config)
        ours = run_attack(model, tokenizer, texts, labels, config)
        stock_rows = [outcome(result) for result in stock_results]
        our_rows = [(e.result.replace("succeeded", "successful"), e.perturbed_text, e.num_queries)
                    for e in ours.examples]
        mismatches = [index for index, (a, b) in enumerate(zip(stock_rows, our_rows)) if a != b]
        row = {"recipe": ours.summary.recipe_label, "parts": ours.summary.parts, "examples": len(texts),
               "succeeded": ours.summary.successful_attacks, "failed": ours.summary.failed_attacks,
               "skipped": ours.summary.skipped_attacks, "identical": not mismatches, "mismatches": mismatches,
               "stock_seconds": round(stock_seconds, 2), "ours_seconds": round(ours.summary.wall_seconds, 2),
               "speedup": round(stock_seconds / ours.summary.wall_seconds, 2),
               "queries": sum(r[2] for r in our_rows), "queries_computed": ours.summary.queries_computed}
        report.append(row)
        print(json.dumps(row), flush=True)
        for index in mismatches:
            print(f"  example {index}: stock {stock_rows[index]}\n              ours  {our_rows[index]}")
    return report


# ---------------------------------------------------------------------------- the offline parts

def tagger_agreement(min_words: int = 400) -> dict:
    """Universal tags of the words of embedded training sentences, each in TextAttack's window (4 words
    before, 3 after), from spaCy, WordNet's context-free tag and, where installed, NLTK's tagger (TextAttack's);
    the share of words on which each pair agrees."""
    import nltk

    from robustprune.attack.tagger import nltk_tagger_installed, spacy_universal_tags
    from robustprune.attack.wordnet import universal_pos
    from robustprune.data.registry import load_rotten_tomatoes

    resources_words = []
    for text in load_rotten_tomatoes().train["text"]:
        resources_words.append(text.split())
        if sum(map(len, resources_words)) >= min_words:
            break
    taggers = {"spacy": lambda window: spacy_universal_tags(window),
               "wordnet": lambda window: [universal_pos(word) for word in window]}
    if nltk_tagger_installed():
        taggers["nltk"] = lambda window: [tag for _, tag in nltk.pos_tag(window, tagset="universal")]
    tags = {name: [] for name in taggers}
    for words in resources_words:
        for i, word in enumerate(words):
            before, after = words[max(i - 4, 0):i], words[i + 1:min(i + 4, len(words))]
            for name, tagger in taggers.items():
                tags[name].append(tagger(before + [word] + after)[len(before)])
    from robustprune.attack.recipes.textfooler import TEXTFOOLER_STOPWORDS

    total = len(tags["spacy"])
    # the words TextFooler may swap (not in its stopword list): the ones its PartOfSpeech check sees
    swappable = [word.lower() not in TEXTFOOLER_STOPWORDS for words in resources_words for word in words]
    pairs = [(a, b) for a in taggers for b in taggers if a < b]

    def agreement(a, b, keep):
        kept = [(x, y) for x, y, k in zip(tags[a], tags[b], keep) if k]
        return round(sum(x == y for x, y in kept) / len(kept), 4)

    report = {"words": total, "swappable_words": sum(swappable), "sentences": len(resources_words),
              "taggers": list(taggers),
              "agreement": {f"{a} vs {b}": agreement(a, b, [True] * total) for a, b in pairs},
              "agreement_on_swappable_words": {f"{a} vs {b}": agreement(a, b, swappable) for a, b in pairs}}
    if "nltk" in tags:  # what TextFooler's rule sees: would the two taggers allow the same swaps?
        report["nltk tags"] = dict(sorted(
            {tag: tags["nltk"].count(tag) for tag in set(tags["nltk"])}.items(), key=lambda item: -item[1]))
    return report


SENTIMENT_WORDS = ("good", "bad", "great", "terrible", "boring", "interesting", "love", "hate", "best", "worst",
                   "funny", "happy", "sad", "beautiful", "ugly")


def neighbour_report(words=SENTIMENT_WORDS, k: int = 50) -> list[dict]:
    """Nearest neighbours in GloVe (unit rows) and after counter-fitting; WordNet antonyms among the top k."""
    from robustprune.attack import counterfit
    from robustprune.attack.vectors import WordVectors

    after = counterfit.load_counterfitted()
    vocabulary, matrix = counterfit.frequent_glove(counterfit.VOCABULARY)
    index = {word: row for row, word in enumerate(vocabulary)}
    before = WordVectors(counterfit.unit_rows(torch.from_numpy(matrix)).numpy(), index, dict(enumerate(vocabulary)),
                         None)
    _, antonym_pairs = counterfit.wordnet_constraints(index)
    antonyms: dict[str, set[str]] = {}
    for u, w in antonym_pairs:
        antonyms.setdefault(vocabulary[u], set()).add(vocabulary[w])
        antonyms.setdefault(vocabulary[w], set()).add(vocabulary[u])
    rows = []
    for word in words:
        if word not in index:
            continue
        top_before = [before.index2word(i) for i in before.nearest_neighbours(index[word], k)]
        top_after = [after.index2word(i) for i in after.nearest_neighbours(index[word], k)]
        opposite = antonyms.get(word, set())
        rows.append({"word": word, "before": top_before[:8], "after": top_after[:8],
                     "antonyms": sorted(opposite), "antonyms_in_top_before": sorted(opposite & set(top_before)),
                     "antonyms_in_top_after": sorted(opposite & set(top_after))})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def masked_lm_report() -> dict:
    """The offline masked-LM head: fitted on first use; its fill-mask accuracy on held-out sentences."""
    from robustprune.attack import masked_lm

    folder = masked_lm.ensure_head()
    record = masked_lm.head_record(folder)
    record["accepted_as_default"] = record["fill_mask"]["accuracy"] >= masked_lm.ACCEPT_TOP10
    return record


def candidate_comparison(recipes: list[str], n: int, seed: int) -> list[dict]:
    """Attack success on the cached fine-tuned default (its first ``n`` test sentences), with WordNet synonyms
    vs the offline counter-fitted vectors as candidates; everything else the same (cached attack runs)."""
    from robustprune.attack.runs import DENSE_TARGET, attack

    rows = []
    for recipe in recipes:
        for candidates in ("wordnet", None):
            config = AttackConfig(recipe=recipe, num_examples=n, seed=seed, word_vectors=candidates)
            run = attack(DENSE_TARGET, config)
            summary = run.result.summary
            rows.append({"recipe": recipe, "candidates": summary.parts.get("candidates"), "run_id": run.run_id,
                         "examples": summary.num_examples, "succeeded": summary.successful_attacks,
                         "failed": summary.failed_attacks, "skipped": summary.skipped_attacks,
                         "clean_accuracy": summary.clean_accuracy,
                         "accuracy_under_attack": summary.accuracy_under_attack,
                         "attack_success_rate": summary.attack_success_rate,
                         "avg_perturbed_word_percent": summary.avg_perturbed_word_percent,
                         "avg_queries": summary.avg_num_queries})
            print(json.dumps(rows[-1]), flush=True)
    return rows


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
    parser.add_argument("--tagger-agreement", action="store_true",
                        help="only the parts: agreement of the taggers (NLTK's where installed) on embedded sentences")
    parser.add_argument("--neighbours", action="store_true",
                        help="only the parts: neighbours of sentiment words before and after counter-fitting")
    parser.add_argument("--masked-lm", action="store_true", help="only the parts: the offline masked LM's accuracy")
    parser.add_argument("--candidates", action="store_true",
                        help="attack success on the fine-tuned default (ROBUSTPRUNE_HOME's), WordNet vs "
                             "counter-fitted candidates, first --n test sentences")
    parser.add_argument("--json", default=None, help="also write the report to this file")
    arguments = parser.parse_args()
    torch.manual_seed(arguments.seed)
    recipes = arguments.recipe or ["textfooler", "textbugger"]

    parts_only = arguments.tagger_agreement or arguments.neighbours or arguments.masked_lm or arguments.candidates
    report: dict = {}
    if arguments.tagger_agreement:
        report["tagger_agreement"] = tagger_agreement()
        print(json.dumps(report["tagger_agreement"]), flush=True)
    if arguments.neighbours:
        report["neighbours"] = neighbour_report()
    if arguments.masked_lm:
        report["masked_lm"] = masked_lm_report()
        print(json.dumps(report["masked_lm"]), flush=True)
    if arguments.candidates:
        report["candidates"] = candidate_comparison(recipes, arguments.n, arguments.seed)
    if not parts_only:
        model, tokenizer = load_classifier(arguments.model or "minilm", num_labels=None if arguments.model else 2)
        if arguments.model is None:
            train_texts, train_labels = sentences(600, arguments.seed + 1, 60)
            fit_head(model, tokenizer, train_texts, train_labels, arguments.max_length)
        texts, labels = sentences(arguments.n, arguments.seed, arguments.max_words)
        report["fidelity"] = recipe_fidelity(model, tokenizer, texts, labels, recipes, arguments)
    if arguments.json:
        with open(arguments.json, "w", encoding="utf-8") as handle:
            json.dump(report, handle, indent=2)


if __name__ == "__main__":
    main()
