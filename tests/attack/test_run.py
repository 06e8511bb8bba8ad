"""run_attack end to end on the planted classifier (see conftest): each recipe breaks it."""

from __future__ import annotations

import math

import pytest
from planted import LABELS, TEXTS, TRIGGER, planted_classifier

from robustprune.attack import AttackConfig, AttackResult, evaluate_transfer, run_attack
from robustprune.errors import RobustPruneError

RECIPES = ("textfooler", "bert-attack", "textbugger")
LAYERS = 3  # embedding output + 2 blocks


@pytest.fixture(scope="module")
def results(dense_model, sparse_model, tokenizer, planted_mlm_dir):
    """Each recipe once, attacking the sparse model, with the dense one for transfer. The planted weakness is
    WordNet's first synonym of "terrible", so the candidates are WordNet's (test_parts.py covers the default
    counter-fitted vectors)."""
    return {recipe: run_attack(dense_model, tokenizer, TEXTS, LABELS,
                               AttackConfig(recipe=recipe, num_examples=len(TEXTS), max_length=64,
                                            mlm_path=str(planted_mlm_dir), word_vectors="wordnet"),
                               sparse_model=sparse_model)
            for recipe in RECIPES}


@pytest.mark.parametrize("recipe", RECIPES)
def test_each_recipe_breaks_the_planted_weakness(results, recipe):
    result = results[recipe]
    summary = result.summary
    assert summary.num_examples == len(TEXTS) == len(result.examples)
    assert summary.successful_attacks + summary.failed_attacks + summary.skipped_attacks == summary.num_examples
    assert summary.skipped_attacks == 1 and result.examples[-1].result == "skipped"
    assert summary.successful_attacks == 4 and summary.attack_success_rate == 1.0
    assert summary.clean_accuracy == pytest.approx(0.8) and summary.accuracy_under_attack == 0.0
    assert summary.accuracy_under_attack <= summary.clean_accuracy
    for example in result.examples[:4]:
        assert example.result == "succeeded" and TRIGGER in example.perturbed_text.split()
        assert example.sparse_label_original == 1 and example.sparse_label_perturbed == 0
        assert example.changed_word_indices and example.num_queries > 0
        changed = set(example.changed_word_indices)
        original, perturbed = example.original_text.split(), example.perturbed_text.split()
        assert {i for i, (a, b) in enumerate(zip(original, perturbed)) if a != b} == changed
    assert 0 < summary.avg_perturbed_word_percent <= 100 and summary.avg_num_queries > 0
    assert summary.queries_computed > 0 and summary.wall_seconds > 0 and summary.attacked_model == "sparse"


def test_substitutions_are_named_in_the_label(results):
    assert results["textfooler"].summary.recipe_label == (
        "textfooler (candidates: WordNet; word distance: none; part of speech: spaCy en_core_web_sm 3.8.0; "
        "sentence encoder: MiniLM)")
    assert results["textbugger"].summary.substitutions == {"candidates": "WordNet", "sentence encoder": "MiniLM"}


def test_every_part_is_named_real_or_not(results):
    from robustprune.attack.resources import STOPWORDS_WHEEL

    parts = {recipe: result.summary.parts for recipe, result in results.items()}
    assert set(parts["textfooler"]) == {"candidates", "stopwords", "word distance", "part of speech",
                                        "sentence encoder"}
    assert set(parts["textbugger"]) == {"candidates", "stopwords", "sentence encoder"}
    assert set(parts["bert-attack"]) == {"masked LM", "stopwords", "sentence encoder"}
    assert STOPWORDS_WHEEL in parts["textbugger"]["stopwords"] and "TextFooler" in parts["textfooler"]["stopwords"]
    bert_attack = results["bert-attack"].summary
    assert bert_attack.substitutions["masked LM"].startswith("tiny_mlm")
    assert bert_attack.recipe_label.startswith("bert-attack (masked LM: tiny_mlm")


@pytest.mark.parametrize("recipe", RECIPES)
def test_transfer_and_similarity_records(results, recipe):
    result = results[recipe]
    (transfer,) = result.transfers
    assert (transfer.source, transfer.target, transfer.num_adversarial) == ("sparse", "dense", 4)
    assert transfer.transferred == transfer.target_correct_on_original == 4 and transfer.transfer_rate == 1.0
    for example in result.examples:
        for value in (example.dense_confidence_original, example.dense_confidence_perturbed,
                      example.sparse_confidence_original, example.sparse_confidence_perturbed):
            assert 0.5 <= value <= 1.0
    layers = result.layer_similarities
    assert len(layers) == 4 * 2 * LAYERS
    assert {(row.model, row.layer) for row in layers} == {(m, layer) for m in ("dense", "sparse") for layer in range(3)}
    assert all(-1.0 <= row.cosine_mean <= 1.0 and -1.0 <= row.cosine_cls <= 1.0 for row in layers)
    assert any(row.cosine_mean < 0.999 for row in layers)  # the texts differ, so somewhere the states do
    words = result.word_similarities
    assert {row.model for row in words} == {"dense", "sparse"}
    if recipe != "bert-attack":  # BERT-Attack's masked LM may put the trigger in place of any word
        assert ("terrible", TRIGGER) in {(row.original_word, row.perturbed_word) for row in words}
    assert all(-1.0 <= row.cosine <= 1.0 for row in words)
    trigger_rows = [row for row in words if row.perturbed_word == TRIGGER]
    # planted: the trigger is orthogonal to every word but "terrible", which leans 0.1 u against the
    # trigger's -4 u, so |cos| = 0.1 / |e(terrible)| (about 0.02 for a 32-d standard normal row)
    assert trigger_rows and all(abs(row.cosine) < 0.05 for row in trigger_rows)


def test_a_model_without_the_weakness_is_not_broken(tokenizer):
    """The same model with the trigger defused: every attack fails, accuracy stays."""
    import torch

    model = planted_classifier(tokenizer)
    with torch.no_grad():
        model.bert.embeddings.word_embeddings.weight[tokenizer.convert_tokens_to_ids(TRIGGER)] = 0.0
    result = run_attack(model, tokenizer, TEXTS, LABELS, AttackConfig(recipe="textfooler", max_length=64,
                                                                      similarity=False))
    assert result.summary.successful_attacks == 0 and result.summary.failed_attacks == 4
    assert result.summary.accuracy_under_attack == result.summary.clean_accuracy == pytest.approx(0.8)
    assert result.summary.attack_success_rate == 0.0 and result.summary.avg_perturbed_word_percent == 0.0
    assert result.transfers == [] and result.layer_similarities == []


def test_same_seed_same_result(dense_model, tokenizer):
    config = AttackConfig(recipe="textbugger", num_examples=4, max_length=64, seed=3, word_vectors="wordnet")
    first, second = (run_attack(dense_model, tokenizer, TEXTS, LABELS, config) for _ in range(2))
    assert [e.perturbed_text for e in first.examples] == [e.perturbed_text for e in second.examples]
    assert [e.num_queries for e in first.examples] == [e.num_queries for e in second.examples]
    assert first.summary.attacked_model == "dense" and first.transfers == []
    assert {row.model for row in first.layer_similarities} == {"dense"}


def test_the_reverse_direction_attacks_dense_and_evaluates_sparse(dense_model, sparse_model, tokenizer):
    config = AttackConfig(recipe="textfooler", num_examples=2, max_length=64, attack_target="dense", similarity=False,
                          word_vectors="wordnet")
    result = run_attack(dense_model, tokenizer, TEXTS, LABELS, config, sparse_model=sparse_model)
    assert result.summary.attacked_model == "dense"
    assert [(t.source, t.target, t.num_adversarial) for t in result.transfers] == [("dense", "sparse", 2)]
    assert all(e.sparse_label_perturbed == 0 for e in result.examples)


def test_evaluate_transfer_on_a_further_model(results, dense_model, tokenizer):
    result = AttackResult.from_dict(results["textfooler"].to_dict())
    summary = evaluate_transfer(result, dense_model, tokenizer, "dense-again")
    assert summary.num_adversarial == 4 and summary.transfer_rate == 1.0
    assert [row.index for row in result.transfer_examples] == [0, 1, 2, 3]
    assert result.transfers[-1] is summary


def test_results_round_trip_through_json_and_parquet(results, tmp_path):
    result = results["textbugger"]
    assert AttackResult.from_json(result.to_json()) == result
    loaded = AttackResult.load(result.save(tmp_path / "run"))
    assert loaded.summary == result.summary and loaded.examples == result.examples
    assert loaded.layer_similarities == result.layer_similarities
    assert loaded.word_similarities == result.word_similarities
    assert not math.isnan(result.frame("layer_similarities")["cosine_mean"].mean())


@pytest.mark.parametrize("config, texts, labels, message", [
    (AttackConfig(recipe="deepwordbug"), TEXTS, LABELS, "unknown attack recipe 'deepwordbug'; use one of textfooler"),
    (AttackConfig(num_examples=0), TEXTS, LABELS, "the number of texts to attack"),
    (AttackConfig(), TEXTS, LABELS[:2], "5 texts but 2 labels"),
    (AttackConfig(), [], [], "no texts to attack"),
    (AttackConfig(query_budget=0), TEXTS, LABELS, "the query budget"),
    (AttackConfig(attack_target="pruned"), TEXTS, LABELS, "attack_target must be 'dense' or 'sparse'"),
    (AttackConfig(word_vectors="/nonexistent/vectors.txt", max_length=64), TEXTS, LABELS,
     "word vectors '/nonexistent/vectors.txt' do not exist"),
    (AttackConfig(recipe="bert-attack", mlm_path="/nonexistent/mlm", max_length=64), TEXTS, LABELS,
     "masked LM '/nonexistent/mlm' is not a directory"),
])
def test_bad_inputs_get_clear_errors(dense_model, tokenizer, config, texts, labels, message):
    with pytest.raises(RobustPruneError, match=message.replace("(", r"\(")):
        run_attack(dense_model, tokenizer, texts, labels, config)


def test_textfooler_with_word_vectors_uses_them_and_names_them(dense_model, tokenizer, tmp_path):
    vectors = tmp_path / "tiny-vectors.txt"
    vectors.write_text("terrible 1 0 0\nawful 0.95 0.3 0\nmovie 0 1 0\nfilm 0 0.9 0.2\nplot 0 0 1\n")
    result = run_attack(dense_model, tokenizer, TEXTS, LABELS,
                        AttackConfig(recipe="textfooler", num_examples=2, max_length=64, word_vectors=str(vectors)))
    assert result.summary.substitutions["candidates"] == "word vectors tiny-vectors.txt"
    assert result.summary.substitutions["word distance"] == "word vectors tiny-vectors.txt"
    assert [e.perturbed_text for e in result.examples] == ["a awful movie", "the plot was awful"]
