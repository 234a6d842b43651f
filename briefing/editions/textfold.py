"""Turn text into a folded form for comparing what prints with what must be withheld.

Two strings that print the same should compare the same, however they were typed. Folding
decodes HTML entities (`clo&#115;e`), drops Markdown emphasis and code markers (`clo*s*e`,
`` `x` ``), reads `_` as a space, removes soft hyphens and zero-width characters, applies
Unicode NFKC, folds case and maps the Cyrillic and Greek letters that look like Latin ones
onto those (`Сlose` with a Cyrillic С). Each folded character remembers the span of the
original text it came from, so a match in the folded text can be cut out of the original.
Every step works one character (or one entity) at a time: folding is linear in the text.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

# Characters that print as nothing (or only at a line break): they can hide a word inside
# another without changing what a reader sees.
_INVISIBLE = frozenset(
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200c\u200d\u200e\u200f"
    "\u202a\u202b\u202c\u202d\u202e\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069"
    "\u3164\ufeff\uffa0" + "".join(chr(c) for c in range(0xFE00, 0xFE10)))
# Markdown markers that change how text looks, not what it says.
_MARKDOWN_DROPPED = frozenset("*`~")
_MARKDOWN_AS_SPACE = frozenset("_")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")

# Lower-case look-alikes (after case folding) of Latin letters, from Unicode's confusables
# list: Cyrillic, Greek and a few Latin letters with no visible mark.
_LOOK_ALIKES = str.maketrans({
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "һ": "h", "і": "i", "ї": "i", "ј": "j", "к": "k",
    "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s",
    "ԁ": "d", "ԛ": "q", "ԝ": "w", "ӏ": "l", "ү": "y", "ɡ": "g",
    # Greek
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
    "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ζ": "z", "μ": "u",
    # Latin without a visible difference
    "ı": "i", "ȷ": "j", "ſ": "s",
})


@dataclass(frozen=True)
class Folded:
    """Folded text, and for each of its characters the original span it came from."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that folded[start:end] came from (end > start)."""
        return self.starts[start], self.ends[end - 1]


def fold(text: str, *, match_case: bool = False) -> Folded:
    """Fold text for comparison; `match_case` keeps case and letters as they are (for patterns
    such as postcodes, whose case matters), still decoding entities and dropping invisibles."""
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    length = len(text)
    index = 0
    while index < length:
        char = text[index]
        end = index + 1
        piece = char
        if char == "&":
            entity = _ENTITY.match(text, index)
            if entity is not None:
                decoded = html.unescape(entity.group())
                if decoded != entity.group():
                    piece, end = decoded, entity.end()
        else:
            # A base character with its combining marks folds as one unit, so NFKC can
            # compose `e` + U+0301 into `é` as it would in the whole string.
            while end < length and unicodedata.combining(text[end]):
                end += 1
            piece = text[index:end]
        for folded_char in _fold_piece(piece, match_case):
            out.append(folded_char)
            starts.append(index)
            ends.append(end)
        index = end
    return Folded("".join(out), tuple(starts), tuple(ends))


def _fold_piece(piece: str, match_case: bool) -> str:
    piece = unicodedata.normalize("NFKC", piece)
    kept = []
    for char in piece:
        if char in _INVISIBLE or char in _MARKDOWN_DROPPED:
            continue
        if char in _MARKDOWN_AS_SPACE:
            char = " "
        kept.append(char)
    result = "".join(kept)
    if match_case:
        return result
    return result.casefold().translate(_LOOK_ALIKES)


def folded(text: str) -> str:
    """Just the folded text."""
    return fold(text).text
