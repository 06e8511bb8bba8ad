"""What an adversarial example changed, down to the character, and the characters a reader cannot see.

TextBugger (Li et al., NDSS 2019) perturbs words in five ways: insert a space, delete a
character, swap two neighbouring characters, replace a character by a look-alike
(TextAttack's ``WordSwapHomoglyphSwap``: Cyrillic ``е`` for ``e``, ``0`` for ``O``, …) or
swap the word for a neighbour in embedding space. TextFooler and BERT-Attack swap words.
A look-alike or a zero-width character makes a changed word read the same as the original,
so the change cannot be seen on screen. This module finds, without any model:

* ``word_spans``: the words of a text as TextAttack numbers them (``changed_word_indices``);
* ``word_changes``: the original and perturbed texts aligned word by word (difflib on the
  word lists), and inside each changed block a character-level diff, classified into one
  of ``CHANGE_KINDS``;
* ``character_marks``: every character of a text that looks like another or does not
  show — Unicode format and control characters (zero-width joiner, BOM, bidi marks, …),
  spaces other than U+0020, combining marks, look-alikes of ASCII characters, and any
  non-ASCII letter inside an otherwise ASCII word — with code point and Unicode name.

Look-alikes are those of Unicode's confusables table (UTS #39, through the
``confusable-homoglyphs`` package) plus the NFKC compatibility forms (full-width ``ｍ``,
mathematical ``𝚝``), which the table leaves out.
"""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
from dataclasses import dataclass, field

# TextAttack's word split (textattack.shared.utils.words_from_text): runs of word characters, its
# homoglyphs and ' - _ * @, with those five symbols stripped from both ends.
EDGE_SYMBOLS = "'-_*@"
WORD_PATTERN = re.compile(r"[\w˗৭Ȣ𝟕бƼᏎƷᒿlO`ɑЬϲԁе𝚏ɡհіϳ𝒌ⅼｍոорԛⲅѕ𝚝սѵԝ×уᴢ'\-_*@]+")

# per changed block of words, the most specific first
CHANGE_KINDS = ("invisible character", "space inserted", "homoglyph", "neighbours swapped", "character deleted",
                "character inserted", "character substituted", "word swap", "word inserted", "word deleted")
# what a character can be that a reader may miss
MARK_KINDS = ("invisible", "unusual space", "combining mark", "homoglyph", "non-ASCII letter")
ORDINARY_CONTROLS = "\t\n\r"
LEFT_TO_RIGHT_MARK = "\u200e"  # the confusables table wraps right-to-left glyphs in it


# ----------------------------------------------------------------------------- words

def word_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each word, split the way TextAttack numbers ``changed_word_indices``."""
    spans = []
    for match in WORD_PATTERN.finditer(text):
        start, end = match.start(), match.end()
        while start < end and text[start] in EDGE_SYMBOLS:
            start += 1
        while end > start and text[end - 1] in EDGE_SYMBOLS:
            end -= 1
        if start < end:
            spans.append((start, end))
    return spans


def words(text: str) -> list[str]:
    return [text[start:end] for start, end in word_spans(text)]


# ----------------------------------------------------------------------------- characters

def code_point(char: str) -> str:
    return f"U+{ord(char):04X}"


def unicode_name(char: str) -> str:
    return unicodedata.name(char, f"<unnamed {unicodedata.category(char)}>")


@functools.lru_cache(maxsize=8192)
def look_alikes(char: str) -> frozenset[str]:
    """Characters that ``char`` can pass for: its confusables (UTS #39) and its NFKC form, when that differs."""
    from confusable_homoglyphs import confusables

    found = set()
    folded = unicodedata.normalize("NFKC", char)
    if folded != char and len(folded) == 1:
        found.add(folded)
    for entry in confusables.is_confusable(char, greedy=True) or []:
        for glyph in entry["homoglyphs"]:
            glyph = glyph["c"].replace(LEFT_TO_RIGHT_MARK, "")
            if len(glyph) == 1:
                found.add(glyph)
    found.discard(char)
    return frozenset(found)


def alike(a: str, b: str) -> bool:
    """Whether two different characters look the same (either direction of the confusables table)."""
    return a != b and (b in look_alikes(a) or a in look_alikes(b))


def ascii_look_alike(char: str) -> str | None:
    """The ASCII character a non-ASCII ``char`` passes for, or None."""
    if char.isascii():
        return None
    candidates = sorted(glyph for glyph in look_alikes(char) if glyph.isascii() and glyph.isprintable())
    letters = [glyph for glyph in candidates if glyph.isalnum()]
    return (letters or candidates or [None])[0]


def is_invisible(char: str) -> bool:
    """A character that prints as nothing: format (Cf: zero-width joiner, BOM, bidi marks, soft hyphen), control
    (Cc, but tab and newlines), private-use or unassigned, and the variation selectors."""
    category = unicodedata.category(char)
    if category in ("Cf", "Co", "Cn") or (category == "Cc" and char not in ORDINARY_CONTROLS):
        return True
    return "\ufe00" <= char <= "\ufe0f" or "\U000e0100" <= char <= "\U000e01ef"


@dataclass(frozen=True)
class CharacterMark:
    """One character a reader may miss or misread, at ``position`` of its text."""

    position: int
    char: str
    kind: str                 # one of MARK_KINDS
    looks_like: str | None    # the ASCII character it passes for, if any

    @property
    def code_point(self) -> str:
        return code_point(self.char)

    @property
    def name(self) -> str:
        return unicode_name(self.char)

    @property
    def label(self) -> str:
        """"e→е U+0435 CYRILLIC SMALL LETTER IE" for a look-alike, "U+200D ZERO WIDTH JOINER" otherwise."""
        if self.looks_like:
            return f"{self.looks_like}→{self.char} {self.code_point} {self.name}"
        if self.kind in ("invisible", "unusual space"):
            return f"{self.code_point} {self.name}"
        return f"{self.char} {self.code_point} {self.name}"


def character_mark(text: str, position: int, spans: list[tuple[int, int]] | None = None) -> CharacterMark | None:
    """The mark of ``text[position]``, or None for a character that reads as what it is."""
    char = text[position]
    if is_invisible(char):
        return CharacterMark(position, char, "invisible", None)
    category = unicodedata.category(char)
    if category in ("Zs", "Zl", "Zp") and char != " ":
        return CharacterMark(position, char, "unusual space", " " if category == "Zs" else None)
    if category in ("Mn", "Me"):
        return CharacterMark(position, char, "combining mark", None)
    if char.isascii():
        return None
    looks_like = ascii_look_alike(char)
    if looks_like is not None:
        return CharacterMark(position, char, "homoglyph", looks_like)
    if char.isalpha() and _in_ascii_word(text, position, spans):
        return CharacterMark(position, char, "non-ASCII letter", None)
    return None


def character_marks(text: str) -> list[CharacterMark]:
    """Every character of ``text`` that looks like another or cannot be seen, in order."""
    spans = word_spans(text)
    marks = (character_mark(text, position, spans) for position, char in enumerate(text) if not char.isascii()
             or (is_invisible(char)))
    return [mark for mark in marks if mark is not None]


def _in_ascii_word(text: str, position: int, spans: list[tuple[int, int]] | None) -> bool:
    """Whether ``position`` lies in a word whose other letters are all ASCII (a lone foreign letter)."""
    for start, end in spans if spans is not None else word_spans(text):
        if start <= position < end:
            others = [char for offset, char in enumerate(text[start:end], start) if offset != position
                      and char.isalpha()]
            return bool(others) and all(char.isascii() or ascii_look_alike(char) for char in others)
    return False


# ----------------------------------------------------------------------------- the changes of an example

@dataclass(frozen=True)
class CharacterEdit:
    """One step of the character diff inside a changed block: ``original`` became ``replacement``
    (``operation``: replace, insert or delete), at these offsets of the two texts."""

    operation: str
    original: str
    replacement: str
    original_start: int
    perturbed_start: int


@dataclass
class WordChange:
    """A block of words that the attack changed: original words -> perturbed words, and how."""

    original_words: list[int]          # positions in words(original_text)
    perturbed_words: list[int]         # positions in words(perturbed_text)
    original_span: tuple[int, int]     # character offsets of the block in each text
    perturbed_span: tuple[int, int]
    original: str
    perturbed: str
    kind: str                          # one of CHANGE_KINDS
    edits: list[CharacterEdit] = field(default_factory=list)
    marks: list[CharacterMark] = field(default_factory=list)  # the unusual characters the attack put in

    @property
    def description(self) -> str:
        """One line: "elegant → еlegant: homoglyph (e→е U+0435 CYRILLIC SMALL LETTER IE)"."""
        details = "; ".join(dict.fromkeys(mark.label for mark in self.marks))
        described = f"{self.original or '∅'} → {self.perturbed or '∅'}: {self.kind}"
        return described + (f" ({details})" if details else "")


def word_changes(original: str, perturbed: str) -> list[WordChange]:
    """The changed blocks of words, the two texts aligned word by word (a word-level diff)."""
    return [change for _, _, change in aligned_words(original, perturbed) if change is not None]


def aligned_words(original: str, perturbed: str) -> list[tuple[list[int], list[int], WordChange | None]]:
    """The two texts as columns of words, in order: (original word positions, perturbed word positions, the change
    or None for a word left as it was). Unchanged words stand one to one; a changed block as ``word_changes``
    splits it."""
    original_spans, perturbed_spans = word_spans(original), word_spans(perturbed)
    matcher = difflib.SequenceMatcher(None, [original[a:b] for a, b in original_spans],
                                      [perturbed[a:b] for a, b in perturbed_spans], autojunk=False)
    columns = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            columns += [([i], [j], None) for i, j in zip(range(i1, i2), range(j1, j2))]
            continue
        for originals, replacements in _pair_words(original, perturbed, original_spans, perturbed_spans,
                                                   range(i1, i2), range(j1, j2)):
            first, last = (originals[0], originals[-1] + 1) if originals else (i1, i1)
            original_span = _block_span(original_spans, first, last)
            first, last = (replacements[0], replacements[-1] + 1) if replacements else (j1, j1)
            perturbed_span = _block_span(perturbed_spans, first, last)
            columns.append((originals, replacements, classify_change(original, perturbed, originals, replacements,
                                                                     original_span, perturbed_span)))
    return columns


def _pair_words(original: str, perturbed: str, original_spans, perturbed_spans, originals: range,
                replacements: range) -> list[tuple[list[int], list[int]]]:
    """A changed block of words split into the smallest pairs: one word each where the counts agree, else a word
    with the two or three words it was split into (a space or an invisible character inserted), else one to one;
    what is left over was inserted or deleted."""
    pairs, i, j = [], originals.start, replacements.start
    while i < originals.stop and j < replacements.stop:
        if originals.stop - i == replacements.stop - j:
            pairs.append(([i], [j]))
            i, j = i + 1, j + 1
            continue
        word = original[slice(*original_spans[i])]
        for count in (2, 3):
            if j + count <= replacements.stop:
                joined = perturbed[perturbed_spans[j][0]:perturbed_spans[j + count - 1][1]]
                if "".join(char for char in joined if not (char.isspace() or is_invisible(char))) == word:
                    pairs.append(([i], list(range(j, j + count))))
                    i, j = i + 1, j + count
                    break
        else:
            pairs.append(([i], [j]))
            i, j = i + 1, j + 1
    if i < originals.stop:
        pairs.append((list(range(i, originals.stop)), []))
    if j < replacements.stop:
        pairs.append(([], list(range(j, replacements.stop))))
    return pairs


def _block_span(spans: list[tuple[int, int]], first: int, last: int) -> tuple[int, int]:
    """Character offsets from the start of word ``first`` to the end of word ``last - 1``; empty for no words
    (at the start of word ``first``, or the end of the text's last word)."""
    if first < last:
        return spans[first][0], spans[last - 1][1]
    at = spans[first][0] if first < len(spans) else (spans[-1][1] if spans else 0)
    return at, at


def classify_change(original: str, perturbed: str, original_words: list[int], perturbed_words: list[int],
                    original_span: tuple[int, int], perturbed_span: tuple[int, int]) -> WordChange:
    """A ``WordChange`` for the block at these spans: its character diff, its kind, its unusual characters."""
    before, after = original[slice(*original_span)], perturbed[slice(*perturbed_span)]
    edits = character_edits(before, after, original_span[0], perturbed_span[0])
    spans = word_spans(perturbed)
    added = [edit.perturbed_start + offset for edit in edits for offset in range(len(edit.replacement))]
    marks = {position: mark for position in added if (mark := character_mark(perturbed, position, spans)) is not None}
    for edit in edits:  # a look-alike passes for the character it replaced (the table may name several)
        if edit.operation == "replace" and len(edit.original) == len(edit.replacement):
            for offset, (old, new) in enumerate(zip(edit.original, edit.replacement)):
                if alike(old, new):
                    marks[edit.perturbed_start + offset] = CharacterMark(edit.perturbed_start + offset, new,
                                                                         "homoglyph", old)
    marks = [marks[position] for position in sorted(marks)]
    return WordChange(original_words, perturbed_words, original_span, perturbed_span, before, after,
                      change_kind(before, after, edits), edits, marks)


def character_edits(before: str, after: str, original_offset: int = 0, perturbed_offset: int = 0
                    ) -> list[CharacterEdit]:
    """The character-level diff of two strings (difflib, no junk heuristic), offsets shifted into the texts."""
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    return [CharacterEdit(tag, before[i1:i2], after[j1:j2], original_offset + i1, perturbed_offset + j1)
            for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]


def change_kind(before: str, after: str, edits: list[CharacterEdit]) -> str:
    """Which of ``CHANGE_KINDS`` turns ``before`` into ``after``."""
    if not before:
        return "word inserted"
    if not after:
        return "word deleted"
    visible = "".join(char for char in after if not is_invisible(char))
    if visible == before and len(visible) < len(after):
        return "invisible character"
    if "".join(after.split()) == "".join(before.split()) and len(after.split()) > len(before.split()):
        return "space inserted"
    if edits and all(edit.operation == "replace" and len(edit.original) == len(edit.replacement)
                     and all(alike(a, b) for a, b in zip(edit.original, edit.replacement)) for edit in edits):
        return "homoglyph"
    if _neighbours_swapped(before, after):
        return "neighbours swapped"
    if edits and all(edit.operation == "delete" for edit in edits):
        return "character deleted"
    if edits and all(edit.operation == "insert" for edit in edits):
        return "character inserted"
    changed = sum(max(len(edit.original), len(edit.replacement)) for edit in edits)
    if len(before.split()) == len(after.split()) == 1 and changed <= 2 < len(before):
        return "character substituted"
    return "word swap"


def _neighbours_swapped(before: str, after: str) -> bool:
    """``after`` is ``before`` with exactly one pair of adjacent (different) characters exchanged."""
    if len(before) != len(after) or before == after:
        return False
    differ = [position for position, (a, b) in enumerate(zip(before, after)) if a != b]
    return (len(differ) == 2 and differ[1] == differ[0] + 1
            and before[differ[0]] == after[differ[1]] and before[differ[1]] == after[differ[0]])


def change_kinds(original: str, perturbed: str) -> list[str]:
    """The kinds of change in an example, each once, in the order they occur."""
    return list(dict.fromkeys(change.kind for change in word_changes(original, perturbed)))


__all__ = ["CHANGE_KINDS", "MARK_KINDS", "word_spans", "words", "look_alikes", "alike", "ascii_look_alike",
           "is_invisible", "CharacterMark", "character_mark", "character_marks", "CharacterEdit", "WordChange",
           "word_changes", "aligned_words", "classify_change", "character_edits", "change_kind", "change_kinds"]
