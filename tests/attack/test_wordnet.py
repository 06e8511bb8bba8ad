"""WordNet part of speech and same-POS, re-inflected synonyms."""

from __future__ import annotations

from robustprune.attack.wordnet import universal_pos, wordnet, wordnet_pos, wordnet_synonyms


def test_part_of_speech_is_the_most_frequent_sense():
    assert wordnet_pos("terrible") == "a"
    assert wordnet_pos("movie") == "n"
    assert wordnet_pos("quickly") == "r"
    assert universal_pos("the") == "X"


def test_synonyms_share_the_part_of_speech_and_the_inflection():
    assert wordnet_synonyms("terrible", 3) == ("awful", "dire", "direful")
    assert wordnet_synonyms("movies", 2) == ("films", "pictures")
    assert "detested" in wordnet_synonyms("hated", 10)
    assert "hatted" not in wordnet_synonyms("hated", 10)  # a sense of "hat", which morphy also reaches
    assert wordnet_synonyms("Terrible", 1) == ("Awful",)
    assert wordnet_synonyms("the", 5) == ()
    assert all(wordnet.synsets(word, pos="n") for word in wordnet_synonyms("film", 5))  # the noun senses only
    assert "shoot" not in wordnet_synonyms("film", 50)  # a synonym of the verb "to film"
