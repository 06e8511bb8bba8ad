"""An adversarial example as HTML: every changed word marked, and inside it every changed character.

From ``robustprune.attack.changes``: replaced words are marked red on the original side and
green on the adversarial side (hover: what changed, e.g. "elegant → еlegant: homoglyph
(e→е U+0435 CYRILLIC SMALL LETTER IE)"); inside a word changed character by character, the
changed characters are underlined, a look-alike carries a visible badge ("e→е U+0435"), an
invisible character is drawn as its code point, an inserted space as ␣. With
``show_invisible`` every invisible, unusual-space or look-alike character of the text gets
its badge, changed or not. Dataset text is untrusted: everything is escaped.
"""

from __future__ import annotations

import html

from robustprune.attack.changes import CharacterMark, WordChange, character_mark, word_changes, word_spans

WORD_COLOURS = {"original": "#ffc9c9", "perturbed": "#b7f0c0"}
EDIT_STYLE = "text-decoration:underline 2px #c92a2a;font-weight:700;background:#ffe066;border-radius:2px"
BADGE_STYLE = ("font-size:0.62em;font-family:monospace;color:#862e9c;background:#f3d9fa;border-radius:3px;"
               "padding:0 2px;margin-left:1px;vertical-align:super;white-space:nowrap")
SYMBOL_STYLE = "font-family:monospace;color:#862e9c;background:#f3d9fa;border-radius:3px;padding:0 1px"
SPACE_SYMBOL = "␣"
MISSING_STYLE = "color:#c92a2a;font-weight:700"


def attribute(text: str) -> str:
    return html.escape(text, quote=True)


def badge_text(mark: CharacterMark) -> str:
    """The short visible marker: "e→е U+0435" for a look-alike, "U+200D" for an invisible character."""
    return f"{mark.looks_like}→{mark.char} {mark.code_point}" if mark.looks_like else mark.code_point


def character_html(char: str, mark: CharacterMark | None, edited: bool) -> str:
    """One character: a badge for a mark, an underline for an edited character, a visible symbol for an invisible
    one or an inserted space."""
    if mark is not None and mark.kind in ("invisible", "unusual space") and not (edited and mark.looks_like):
        shown = f'<span style="{SYMBOL_STYLE}">{mark.code_point}</span>'
        return f'<span title="{attribute(mark.label)}">{shown}</span>'
    if edited and char.isspace():
        return f'<span title="inserted: U+{ord(char):04X} SPACE" style="{EDIT_STYLE}">{SPACE_SYMBOL}</span>'
    body = html.escape(char)
    if edited:
        body = f'<span style="{EDIT_STYLE}">{body}</span>'
    if mark is not None:
        body += f'<span style="{BADGE_STYLE}">{attribute(badge_text(mark))}</span>'
        return f'<span title="{attribute(mark.label)}">{body}</span>'
    return body


def edited_positions(change: WordChange, side: str) -> set[int]:
    """Positions of ``side``'s text the character diff changed (none for a word swap: the whole word is the change)."""
    if change.kind in ("word swap", "word inserted", "word deleted"):
        return set()
    if change.kind == "neighbours swapped":  # difflib sees a delete and an insert; the reader sees two letters
        start = (change.original_span if side == "original" else change.perturbed_span)[0]
        return {start + k for k, (a, b) in enumerate(zip(change.original, change.perturbed)) if a != b}
    if side == "original":
        return {edit.original_start + k for edit in change.edits for k in range(len(edit.original))}
    return {edit.perturbed_start + k for edit in change.edits for k in range(len(edit.replacement))}


def side_html(text: str, changes: list[WordChange], side: str, show_invisible: bool = False) -> str:
    """``text`` (the ``side`` "original" or "perturbed" of an example) as HTML with ``changes`` marked."""
    spans = word_spans(text)
    blocks = sorted(((change.original_span if side == "original" else change.perturbed_span), change)
                    for change in changes)
    marks_of_change = ({mark.position: mark for change in changes for mark in change.marks} if side == "perturbed"
                       else {})
    parts, position = [], 0

    def plain(start: int, end: int) -> str:
        if not show_invisible:
            return html.escape(text[start:end])
        return "".join(character_html(text[k], character_mark(text, k, spans), False) for k in range(start, end))

    for (start, end), change in blocks:
        if start < position:
            continue
        parts.append(plain(position, start))
        if start == end:  # the word is missing on this side
            parts.append(f'<span title="{attribute(change.description)}" style="{MISSING_STYLE}">‸</span>')
            position = end
            continue
        edited = edited_positions(change, side)
        inner = "".join(
            character_html(text[k], marks_of_change.get(k) or (character_mark(text, k, spans) if show_invisible
                                                             or k in edited else None), k in edited)
            for k in range(start, end))
        parts.append(f'<mark title="{attribute(change.description)}" style="background:{WORD_COLOURS[side]};'
                     f'padding:0 2px;border-radius:3px">{inner}</mark>')
        position = end
    parts.append(plain(position, len(text)))
    return f'<div style="line-height:1.9;font-size:1.05rem">{"".join(parts)}</div>'


def example_sides_html(original: str, perturbed: str, show_invisible: bool = False) -> tuple[str, str]:
    """(original, adversarial) as HTML: replaced words red on the left, their replacements green on the right."""
    changes = word_changes(original, perturbed)
    return (side_html(original, changes, "original", show_invisible),
            side_html(perturbed, changes, "perturbed", show_invisible))


def changes_html(original: str, perturbed: str) -> str:
    """The changes as a list a reader can check one by one: "elegant → еlegant: homoglyph (e→е U+0435 …)"."""
    changes = word_changes(original, perturbed)
    if not changes:
        return "<p><em>No word changed.</em></p>"
    items = "".join(f"<li><code>{html.escape(change.original or '∅')}</code> → "
                    f"<code>{html.escape(_visible(change.perturbed) or '∅')}</code>: "
                    f"<b>{html.escape(change.kind)}</b>"
                    + (f" ({html.escape('; '.join(dict.fromkeys(mark.label for mark in change.marks)))})"
                       if change.marks else "") + "</li>" for change in changes)
    return f'<ul style="margin:0.2rem 0 0.6rem 1rem">{items}</ul>'


def _visible(text: str) -> str:
    """Invisible characters spelled as their code point, so that a list shows them."""
    return "".join(f"⟨{mark.code_point}⟩" if (mark := character_mark(text, k)) is not None
                   and mark.kind == "invisible" else char for k, char in enumerate(text))


__all__ = ["badge_text", "character_html", "side_html", "example_sides_html", "changes_html"]
