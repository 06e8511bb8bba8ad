"""Character-level changes and invisible / look-alike characters, on planted strings (no model)."""

import pytest

from robustprune.attack.changes import (
    aligned_words,
    change_kinds,
    character_marks,
    look_alikes,
    word_changes,
    words,
)
from robustprune.figures.marks import changes_html, example_sides_html

ORIGINAL = "an elegant and intelligent film"
CYRILLIC_E = "\u0435"
ZWJ = "\u200d"


@pytest.mark.parametrize("perturbed, kind", [
    (f"an {CYRILLIC_E}legant and intelligent film", "homoglyph"),
    (f"an ele{ZWJ}gant and intelligent film", "invisible character"),
    ("an ele gant and intelligent film", "space inserted"),
    ("an elgant and intelligent film", "character deleted"),
    ("an eelgant and intelligent film", "neighbours swapped"),
    ("an elegaent and intelligent film", "character inserted"),
    ("an elegent and intelligent film", "character substituted"),
    ("an graceful and intelligent film", "word swap"),
    ("an and intelligent film", "word deleted"),
])
def test_each_kind_of_change_is_found_in_the_changed_word(perturbed, kind):
    [change] = word_changes(ORIGINAL, perturbed)
    assert change.kind == kind
    assert change.original_words == [1] and change.original == "elegant"
    assert ORIGINAL[slice(*change.original_span)] == "elegant"
    assert perturbed[slice(*change.perturbed_span)] == change.perturbed


def test_a_homoglyph_names_its_code_point_and_the_letter_it_passes_for():
    perturbed = f"an {CYRILLIC_E}legant and intelligent film"
    [change] = word_changes(ORIGINAL, perturbed)
    [edit] = change.edits
    assert (edit.operation, edit.original, edit.replacement, edit.perturbed_start) == ("replace", "e", CYRILLIC_E, 3)
    [mark] = change.marks
    assert mark.label == "e→е U+0435 CYRILLIC SMALL LETTER IE"
    assert change.description == "elegant → еlegant: homoglyph (e→е U+0435 CYRILLIC SMALL LETTER IE)"
    assert perturbed != ORIGINAL and words(perturbed)[1] != "elegant"  # reads the same, is not the same


def test_invisible_characters_anywhere_in_a_text():
    text = f"a{ZWJ}b\u00a0c \ufeffd {CYRILLIC_E} x\u0301 gr\u00e9at"
    marks = {mark.char: mark for mark in character_marks(text)}
    assert marks[ZWJ].kind == "invisible" and marks[ZWJ].label == "U+200D ZERO WIDTH JOINER"
    assert marks["\ufeff"].kind == "invisible"
    assert marks["\u00a0"].kind == "unusual space" and marks["\u00a0"].looks_like == " "
    assert marks[CYRILLIC_E].kind == "homoglyph" and marks[CYRILLIC_E].looks_like == "e"
    assert marks["\u0301"].kind == "combining mark"
    assert marks["\u00e9"].kind == "non-ASCII letter"  # a lone accented letter in an ASCII word
    assert [mark.position for mark in character_marks(text)] == sorted(text.index(char) for char in marks)
    assert character_marks("plain ascii, nothing to see") == []


def test_look_alikes_come_from_the_confusables_table_and_nfkc():
    assert "e" in look_alikes(CYRILLIC_E)             # UTS #39 confusables
    assert "m" in look_alikes("\uff4d")                # full-width m: NFKC
    assert "t" in look_alikes("\U0001d69d")            # mathematical monospace t
    assert look_alikes("é") == frozenset()             # an accent is visible: not a look-alike


def test_a_word_split_by_a_space_or_a_zero_width_joiner_stays_one_change():
    for perturbed in ("an ele gant and intelligent film", f"an ele{ZWJ}gant and intelligent film"):
        [change] = word_changes(ORIGINAL, perturbed)
        assert change.original_words == [1] and change.perturbed_words == [1, 2]
    columns = aligned_words(ORIGINAL, "an ele gant and intelligent film")
    assert [(original, perturbed) for original, perturbed, _ in columns] == [([0], [0]), ([1], [1, 2]), ([2], [3]),
                                                                              ([3], [4]), ([4], [5])]


def test_neighbouring_changed_words_are_told_apart():
    kinds = change_kinds("a tv style murder mystery", "a tv manner m\u057drder mystery")
    assert kinds == ["word swap", "homoglyph"]


def test_the_marked_html_shows_what_cannot_be_seen_and_escapes_the_rest():
    original = "<b>an</b> elegant & intelligent film"
    perturbed = f"<b>an</b> ele{ZWJ}gant & int{CYRILLIC_E}lligent film"
    left, right = example_sides_html(original, perturbed)
    for side in (left, right):
        assert "&lt;b&gt;" in side and "&amp;" in side and "<b>" not in side
    assert right.count("<mark") == 2 and left.count("<mark") == 2
    assert "U+200D" in right and 'title="U+200D ZERO WIDTH JOINER"' in right  # the invisible joiner, drawn
    assert "e→е U+0435" in right  # the look-alike's badge
    listing = changes_html(original, perturbed)
    assert "⟨U+200D⟩" in listing and "homoglyph" in listing and "invisible character" in listing


def test_the_toggle_marks_invisible_characters_outside_the_changes_too():
    text = f"a zero{ZWJ}width joiner"
    plain, _ = example_sides_html(text, text)
    shown, _ = example_sides_html(text, text, show_invisible=True)
    assert "U+200D" not in plain and "U+200D" in shown


def test_every_textbugger_homoglyph_is_told_a_homoglyph():
    """TextAttack's own table (WordSwapHomoglyphSwap, as our TextBugger recipe builds it): each swap reads as a
    homoglyph here."""
    from robustprune.attack.resources import import_textattack

    import_textattack()
    from robustprune.attack.recipes.textbugger import HomoglyphSwap

    table = HomoglyphSwap().homos
    assert len(table) > 30
    for ascii_char, glyph in table.items():
        word = f"ab{ascii_char}cd"
        [change] = word_changes(f"a {word} film", f"a {word.replace(ascii_char, glyph)} film")
        assert change.kind == "homoglyph", (ascii_char, glyph, change.kind)
