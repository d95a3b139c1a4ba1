"""Crisis language in free text, a pure core (I2).

The module only reports which listed phrases a text contains and where. It never lowers
anything and decides nothing: a match raises the request's priority and asks a human to
look; a clinician may judge it a false alarm, and the request and the match stay on record.

Matching is exact, on whole words, over a normalised copy of the text. Fuzzy matching was
rejected because it merges different words ("pero" but, "perro" dog); common misspellings
are listed as explicit variants instead. Every phrase of every language is matched against
every text, because people write in more than one language at once.
"""

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Literal

from kiteline.kites import crisis_phrases

type Language = Literal["en", "es"]

# Apostrophe look-alikes from phones, word processors and Spanish keyboards. A list that
# knew only the ASCII apostrophe was once bypassed by typing "can't" with a curly one.
# Double quotation marks need no entry: like other punctuation they become a space.
APOSTROPHES = frozenset(
    (
        "'",
        "\N{RIGHT SINGLE QUOTATION MARK}",
        "\N{LEFT SINGLE QUOTATION MARK}",
        "\N{SINGLE HIGH-REVERSED-9 QUOTATION MARK}",
        "\N{GRAVE ACCENT}",
        "\N{ACUTE ACCENT}",
        "\N{PRIME}",
        "\N{REVERSED PRIME}",
        "\N{MODIFIER LETTER PRIME}",
        "\N{MODIFIER LETTER APOSTROPHE}",
        "\N{MODIFIER LETTER TURNED COMMA}",
        "\N{FULLWIDTH APOSTROPHE}",
    )
)
APOSTROPHE = "'"
SPACE = " "
# Format characters (Unicode category Cf: zero-width space, joiner and non-joiner, soft
# hyphen, word joiner, byte order mark, direction marks) print as nothing. They are dropped,
# not made a space: "ki\u200bll myself" looks like, and must read as, "kill myself".
INVISIBLE = "Cf"
# A letter typed three or more times running is a stretched word ("sooooo", "diiie"). Two
# are left alone: doubled letters tell words apart ("perro" dog, "pero" but).
STRETCH = 3


@dataclass(frozen=True, slots=True)
class Phrase:
    id: str
    language: Language
    pattern: str
    variants: tuple[str, ...] = ()
    # The distinct normalised forms of the pattern and its variants, computed once.
    forms: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("A phrase needs an id.")
        forms = tuple(dict.fromkeys(normalise(text) for text in (self.pattern, *self.variants)))
        if not all(forms):
            raise ValueError(f"Phrase {self.id} has a pattern or variant with no words.")
        object.__setattr__(self, "forms", forms)


@dataclass(frozen=True, slots=True)
class PhraseList:
    version: str
    phrases: tuple[Phrase, ...]

    def __post_init__(self) -> None:
        if not self.version:
            raise ValueError("A phrase list needs a version.")
        ids = [phrase.id for phrase in self.phrases]
        if len(ids) != len(set(ids)):
            raise ValueError("Phrase ids must be unique within a list.")


@dataclass(frozen=True, slots=True)
class Match:
    """One phrase found in a text; `start` and `end` index the original text, so that a
    clinician sees the very words that matched."""

    phrase_id: str
    start: int
    end: int
    text: str


def normalise(text: str) -> str:
    """The text as compared: invisible format characters dropped, casefolded, accents removed,
    apostrophe look-alikes made ASCII, other punctuation made a space, stretched letters
    shortened, spaces collapsed."""
    return _normalise(text)[0]


def match(phrase_list: PhraseList, text: str) -> tuple[Match, ...]:
    normal, starts, ends = _normalise(text)
    # Padding with spaces makes every word boundary a space, the only separator left.
    padded = f"{SPACE}{normal}{SPACE}"
    found: set[Match] = set()
    for phrase in phrase_list.phrases:
        for form in phrase.forms:
            needle = f"{SPACE}{form}{SPACE}"
            at = padded.find(needle)
            while at != -1:
                # `at` is the padded index of the space before the form: the normalised
                # index of the form's first character.
                start, end = starts[at], ends[at + len(form) - 1]
                found.add(Match(phrase.id, start, end, text[start:end]))
                at = padded.find(needle, at + 1)
    # "me quiero morir" also contains the pattern "quiero morir": report the longer only.
    kept = [
        m
        for m in found
        if not any(
            o.phrase_id == m.phrase_id and o.start <= m.start and m.end <= o.end and o != m
            for o in found
        )
    ]
    return tuple(sorted(kept, key=lambda m: (m.start, m.end, m.phrase_id)))


def extend(phrase_list: PhraseList, new_phrases: Iterable[Phrase], version: str) -> PhraseList:
    """A new list with every phrase of the old one and the new ones. Nothing is removed or
    redefined: a recorded signal names a phrase id and a version, and must keep its meaning."""
    if version == phrase_list.version:
        raise ValueError(f"Version {version} is already published; name the new one.")
    added = tuple(new_phrases)
    taken = {phrase.id for phrase in phrase_list.phrases}
    reused = sorted(phrase.id for phrase in added if phrase.id in taken)
    if reused:
        raise ValueError(f"Phrase ids already in use: {', '.join(reused)}.")
    return PhraseList(version, phrase_list.phrases + added)


@cache
def default_phrase_list() -> PhraseList:
    return PhraseList(crisis_phrases.VERSION, tuple(Phrase(*row) for row in crisis_phrases.PHRASES))


type _Piece = tuple[str, int, int]  # a character, and the span of original text it came from


def _normalise(text: str) -> tuple[str, list[int], list[int]]:
    """The normalised text, and for each of its characters the span of the original text it
    came from, from `starts[i]` to `ends[i]`."""
    pieces = _collapse_spaces(_shorten_stretches(_mark_loose_apostrophes(_fold(text))))
    return (
        "".join(char for char, _, _ in pieces),
        [start for _, start, _ in pieces],
        [end for _, _, end in pieces],
    )


def _fold(text: str) -> list[_Piece]:
    pieces = []
    for index, original in enumerate(text):
        if original in APOSTROPHES:
            pieces.append((APOSTROPHE, index, index + 1))
            continue
        # Casefold before decomposing: casefolding "İ" yields a combining dot, dropped next.
        # And again after: a compatibility character may decompose to capitals ("㎐" is
        # "Hz"), and casefolding those may give characters that decompose further.
        decomposed = unicodedata.normalize(
            "NFKD", unicodedata.normalize("NFKD", original.casefold()).casefold()
        )
        for char in decomposed:
            # Dropped characters leave no piece: a match's span is taken from the pieces
            # either side of them, so it still indexes, and covers, the original text.
            if unicodedata.combining(char) or unicodedata.category(char) == INVISIBLE:
                continue
            if char in APOSTROPHES:  # "ŉ" decomposes to a modifier apostrophe and "n"
                pieces.append((APOSTROPHE, index, index + 1))
                continue
            pieces.append((char if char.isalnum() else SPACE, index, index + 1))
    return pieces


def _mark_loose_apostrophes(pieces: list[_Piece]) -> list[_Piece]:
    """An apostrophe stays only between two letters or digits ("can't"); a quotation mark
    or a dropped letter at a word's edge ("'cause", "dyin'") becomes a space."""
    kept = []
    for at, (char, start, end) in enumerate(pieces):
        inside = (
            0 < at < len(pieces) - 1 and pieces[at - 1][0].isalnum() and pieces[at + 1][0].isalnum()
        )
        kept.append((SPACE if char == APOSTROPHE and not inside else char, start, end))
    return kept


def _shorten_stretches(pieces: list[_Piece]) -> list[_Piece]:
    shortened: list[_Piece] = []
    at = 0
    while at < len(pieces):
        char, start, _ = pieces[at]
        run = at + 1
        while run < len(pieces) and pieces[run][0] == char:
            run += 1
        if char.isalpha() and run - at >= STRETCH:
            shortened.append((char, start, pieces[run - 1][2]))
        else:
            shortened.extend(pieces[at:run])
        at = run
    return shortened


def _collapse_spaces(pieces: list[_Piece]) -> list[_Piece]:
    collapsed: list[_Piece] = []
    for piece in pieces:
        if piece[0] == SPACE and (not collapsed or collapsed[-1][0] == SPACE):
            continue
        collapsed.append(piece)
    if collapsed and collapsed[-1][0] == SPACE:
        collapsed.pop()
    return collapsed
