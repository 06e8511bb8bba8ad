"""Each recipe keeps TextAttack's structure and thresholds; only downloaded parts change."""

from __future__ import annotations

import pytest

from robustprune.attack.recipes import build_recipe, recipe_name
from robustprune.errors import RobustPruneError


@pytest.fixture(scope="module")
def parts(planted_mlm_dir):
    from robustprune.attack.recipes.parts import RecipeParts

    return RecipeParts(max_length=64, mlm_path=str(planted_mlm_dir))


@pytest.fixture(scope="module")
def wrapper(dense_model, tokenizer):
    from robustprune.attack.wrapper import CachedModelWrapper

    return CachedModelWrapper(dense_model, tokenizer, max_length=64)


def kinds(attack) -> list[str]:
    return [type(c).__name__ for c in attack.pre_transformation_constraints + attack.constraints]


def test_recipe_names_and_aliases():
    assert recipe_name(" TextFooler ") == "textfooler" and recipe_name("bert_attack") == "bert-attack"
    with pytest.raises(RobustPruneError, match="unknown attack recipe 'pwws'; use one of textfooler, bert-attack"):
        recipe_name("pwws")


def test_textfooler_structure(parts, wrapper):
    attack = build_recipe("textfooler", wrapper, parts).attack
    assert kinds(attack) == ["RepeatModification", "StopwordModification", "InputColumnModification",
                             "WordEmbeddingDistance", "SpacyPartOfSpeech", "CachedSBERT"]
    assert attack.constraints[0].min_cos_sim == 0.5 and type(attack.transformation).__name__ == "WordSwapEmbedding"
    encoder = attack.constraints[-1]
    assert (encoder.threshold, encoder.metric, encoder.window_size, encoder.compare_against_original,
            encoder.skip_text_shorter_than_window) == (0.840845057, "angular", 15, False, True)
    assert attack.transformation.max_candidates == 50 and attack.search_method.wir_method == "delete"
    assert "the" in attack.pre_transformation_constraints[1].stopwords


def test_bert_attack_structure(parts, wrapper):
    attack = build_recipe("bert-attack", wrapper, parts).attack
    assert kinds(attack) == ["RepeatModification", "StopwordModification", "MaxWordsPerturbed", "CachedSBERT"]
    encoder = attack.constraints[-1]
    assert (encoder.threshold, encoder.metric, encoder.compare_against_original) == (0.2, "cosine", True)
    assert attack.constraints[0].max_percent == 0.4
    transformation = attack.transformation
    assert (transformation.method, transformation.max_candidates, transformation.max_length) == ("bert-attack", 8, 64)
    assert attack.search_method.wir_method == "unk"


def test_textbugger_structure(parts, wrapper):
    attack = build_recipe("textbugger", wrapper, parts).attack
    assert kinds(attack) == ["RepeatModification", "StopwordModification", "CachedSBERT"]
    assert (attack.constraints[-1].threshold, attack.constraints[-1].metric) == (0.8, "angular")
    bugs = [type(t).__name__ for t in attack.transformation.transformations]
    assert bugs == ["WordSwapRandomCharacterInsertion", "WordSwapRandomCharacterDeletion",
                    "WordSwapNeighboringCharacterSwap", "HomoglyphSwap", "WordSwapEmbedding"]
    assert attack.transformation.transformations[-1].max_candidates == 5
    assert attack.search_method.wir_method == "delete"
