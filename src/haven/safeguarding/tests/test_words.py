"""The watch list's matching (``words.py``) as properties: without case or accents, whole words, phrases across
consecutive words, never across a word boundary that is not there."""

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from haven.safeguarding.words import Hit, covered, find, fold

LETTERS = "abcdefghijklmnopqrstuvwxyzéèêàçôîüœ"
word = st.text(alphabet=LETTERS, min_size=1, max_size=8)
punctuation = st.sampled_from(["", "", ",", ".", ";", ":", "!", "?", "'", '"', "(", ")"])
page = st.lists(word, min_size=1, max_size=12)


def accented(text: str) -> str:
    """The text with an acute accent on each vowel that has none (the way a French page might spell it)."""
    return "".join(char + "\u0301" if char in "aeiou" else char for char in text)


@given(page, st.data())
def test_a_phrase_taken_from_the_page_is_found_where_it_is(words: list[str], data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(words) - 1))
    end = data.draw(st.integers(start + 1, min(len(words), start + 3)))
    term = " ".join(words[start:end])
    assert Hit(term=term, start=start, end=end) in find(words, [term])


@given(page, st.data())
def test_case_and_accents_do_not_matter(words: list[str], data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(words) - 1))
    term = words[start]
    shouted = [unicodedata.normalize("NFC", accented(w)).upper() for w in words]
    assert Hit(term=term, start=start, end=start + 1) in find(shouted, [term])
    # and the other way: a term typed in capitals, with accents, finds the plain word
    assert Hit(term=accented(term).upper(), start=start, end=start + 1) in find(words, [accented(term).upper()])


@given(page, st.lists(punctuation, min_size=12, max_size=12), st.lists(punctuation, min_size=12, max_size=12))
def test_punctuation_around_a_word_read_does_not_hide_it(words: list[str], before: list[str], after: list[str]) -> None:
    read = [b + w + a for w, b, a in zip(words, before, after, strict=False)]
    for index, term in enumerate(words):
        assert Hit(term=term, start=index, end=index + 1) in find(read, [term])


@given(page, word)
def test_only_whole_words_are_found(words: list[str], extra: str) -> None:
    """A term is never found inside a longer word: every hit's words, folded, are exactly the term's."""
    longer = [w + extra for w in words]
    for term in words:
        for hit in find(longer, [term]):
            assert fold(longer[hit.start]).strip(".,;:!?'\"()") == fold(term)


@given(page, st.data())
def test_a_phrase_is_found_only_across_consecutive_words(words: list[str], data: st.DataObject) -> None:
    """Each hit of a phrase spans exactly its number of words, and those words, in order, are the phrase's."""
    first, second = data.draw(word), data.draw(word)
    term = f"{first} {second}"
    for hit in find(words, [term]):
        assert hit.end - hit.start == 2
        assert [fold(w) for w in words[hit.start : hit.end]] == [fold(first), fold(second)]


def test_a_case_name_is_found_with_its_full_stop_and_not_a_lone_letter() -> None:
    words = ["UNITED", "STATES", "v.", "WILLIAMS", "vitamin", "v"]
    assert find(words, ["v.", "williams"]) == [Hit("v.", 2, 3), Hit("williams", 3, 4)]
    assert covered(find(words, ["united states"])) == {0, 1}


def test_a_term_with_nothing_to_find_finds_nothing() -> None:
    assert find(["-", "court"], ["-", "  ", ""]) == []
    assert find(["École", "courtesy"], ["ecole", "court"]) == [Hit("ecole", 0, 1)]
