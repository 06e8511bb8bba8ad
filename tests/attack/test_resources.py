"""Offline resources: NLTK stopwords and WordNet on disk, word vectors, the masked LM."""

from __future__ import annotations

import pytest

from robustprune import hub
from robustprune.attack import masked_lm, resources
from robustprune.attack.vectors import load_word_vectors
from robustprune.errors import RobustPruneError


def test_nltk_data_is_prepared_and_wordnet_answers():
    root = resources.prepare_nltk()
    stopwords = (root / "corpora" / "stopwords" / "english").read_text().split()
    assert "the" in stopwords and "movie" not in stopwords
    data = (root / "corpora" / "wordnet" / "data.adj").read_bytes()
    assert b"\r\n" not in data and data.count(b"\n") > 10_000  # CRLF made LF, file complete
    from robustprune.attack.wordnet import wordnet

    assert "awful.s.02" in [synset.name() for synset in wordnet.synsets("terrible")]


def test_textattack_imports_with_the_prepared_data():
    textattack = resources.import_textattack()
    from textattack.constraints.pre_transformation import StopwordModification

    assert "the" in StopwordModification().stopwords
    assert textattack.Attack is not None


def test_word_vectors_from_a_text_file(tmp_path):
    path = tmp_path / "vectors.txt"
    path.write_text("good 1 0 0\ngreat 0.9 0.1 0\nbad -1 0 0\n")
    embedding = load_word_vectors(path)
    neighbours = embedding.nearest_neighbours(embedding.word2index("good"), 2)
    assert [embedding.index2word(index) for index in neighbours] == ["great", "bad"]
    assert embedding.get_cos_sim("good", "great") > 0.9


@pytest.mark.parametrize("content, message", [
    (None, "do not exist"),
    ("\n\n", "holds no word vectors"),
    ("good 1 0\nbad x y\n", "line 2"),
    ("good 1 0\nbad 1 0 0\n", "line 2 has 3 numbers"),
])
def test_bad_word_vectors_say_what_would_work(tmp_path, content, message):
    path = tmp_path / "vectors.txt"
    if content is not None:
        path.write_text(content)
    with pytest.raises(RobustPruneError, match=message) as error:
        load_word_vectors(path)
    assert "counter-fitted" in str(error.value)


def test_word_vector_folder_must_hold_paragramcf_files(tmp_path):
    with pytest.raises(RobustPruneError, match="lacks paragram.npy"):
        load_word_vectors(tmp_path)


def test_bad_masked_lm_paths(tmp_path):
    with pytest.raises(RobustPruneError, match="is not a directory.*mlm_path"):
        masked_lm.load_masked_lm(tmp_path / "missing")
    with pytest.raises(RobustPruneError, match="has no config.json"):
        masked_lm.load_masked_lm(tmp_path)


def test_default_masked_lm_offline_says_why_and_what_to_pass(monkeypatch):
    monkeypatch.setattr(masked_lm, "HUB_MLM", "robustprune-tests/no-such-mlm")  # surely not in any local cache
    monkeypatch.setattr(hub, "hub_reachable", lambda *args, **kwargs: False)
    with pytest.raises(RobustPruneError, match="no-such-mlm is not in the local Hugging Face cache") as error:
        masked_lm.load_masked_lm(None)
    assert "mlm_path" in str(error.value) and "no package registry is known to ship" in str(error.value)


def test_textattacks_first_import_downloads_nothing(isolated_cache, tmp_path):
    """TextAttack's first import on a machine downloads six NLTK packages robustprune does not read; offline, each
    printed an error block ("[nltk_data] Error loading ...") to the worker's log. A fresh HOME: a first import."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "HOME": str(tmp_path / "fresh-home"), "NLTK_DATA": ""}
    result = subprocess.run([sys.executable, "-c", "from robustprune.attack import resources; "
                             "resources.import_textattack(); print('imported')"],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0 and "imported" in result.stdout, result.stderr[-2000:]
    assert "[nltk_data]" not in result.stdout + result.stderr
    assert (tmp_path / "fresh-home" / ".cache" / "textattack" / "post_install_check_3").exists()  # TextAttack's own


def test_hard_linked_nltk_data_gets_copies_of_its_own(tmp_path):
    """A cache copied with ``cp -al``: NLTK 3.9.3 on refuses a multiply-linked data file ("Security Violation
    [pathsec.open]: refusing multiply-linked file"), and every attack failed with a traceback."""
    import os

    import nltk

    root = resources.prepare_nltk()
    english = root / "corpora" / "stopwords" / "english"
    words = english.read_bytes()
    os.link(english, tmp_path / "the-copy's-link")
    assert english.stat().st_nlink == 2
    resources.prepare_nltk()
    assert english.stat().st_nlink == 1 and english.read_bytes() == words
    assert (tmp_path / "the-copy's-link").read_bytes() == words  # the other link is left as it was
    assert "the" in nltk.corpus.stopwords.words("english")
