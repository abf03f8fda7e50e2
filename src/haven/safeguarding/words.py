"""Finding the company's watch list in the words read on a page, with no ORM.

A term is one word or a phrase of several; it is found where the page has the same words one after the other,
compared without case and without accents ("ECOLE" finds "école"), word for word: "court" does not find
"courtesy". Punctuation at the edges of a word read on the page is not part of it ("court," is "court"), unless the
term has it: "v." (a case name, United States v. Williams) finds "v." and "V.", not a lone "v".
"""

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Hit:
    """A term found on a page: the words from ``start`` up to (not including) ``end``."""

    term: str
    start: int
    end: int


def fold(text: str) -> str:
    """The text without case and without accents."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _is_edge(char: str) -> bool:
    return not char.isalnum()


def _parts(word: str) -> tuple[str, str, str]:
    """(punctuation before, the word itself, punctuation after) of a folded word."""
    start, end = 0, len(word)
    while start < end and _is_edge(word[start]):
        start += 1
    while end > start and _is_edge(word[end - 1]):
        end -= 1
    return word[:start], word[start:end], word[end:]


def _same(read: tuple[str, str, str], wanted: tuple[str, str, str]) -> bool:
    """A word read matches a word of a term: the same core, and at least the term's own punctuation around it."""
    return read[1] == wanted[1] and read[0].endswith(wanted[0]) and read[2].startswith(wanted[2])


def tokens(term: str) -> list[tuple[str, str, str]]:
    """A term's words, folded and split around their punctuation; empty for a term with no letter or digit."""
    parts = [_parts(word) for word in fold(term).split()]
    return parts if parts and all(core for _, core, _ in parts) else []


def find(words: Sequence[str], terms: Iterable[str]) -> list[Hit]:
    """Every place a term is found in ``words`` (a page's words in reading order), in page order."""
    read = [_parts(fold(word.strip())) for word in words]
    hits = []
    for term in terms:
        wanted = tokens(term)
        if not wanted:
            continue
        size = len(wanted)
        for start in range(len(read) - size + 1):
            if all(_same(read[start + offset], wanted[offset]) for offset in range(size)):
                hits.append(Hit(term=term, start=start, end=start + size))
    return sorted(hits, key=lambda hit: (hit.start, hit.end, hit.term))


def covered(hits: Iterable[Hit]) -> set[int]:
    """The positions of the words that are part of a hit."""
    return {index for hit in hits for index in range(hit.start, hit.end)}
