"""Chinese search tokens, no database: the CJK bigrams of a text, jieba's words and the other
words lower-cased, written once each; and which bigrams a query term is looked up by.

A term of two or more CJK characters occurs in a text only if every one of its bigrams does,
so an index of the bigrams narrows the candidates without losing any; a two-character term is
exactly its one bigram. A term of one character, or with other characters, is not indexed
(the caller scans). `core/search.py` keeps the index on both databases.
"""

from __future__ import annotations

import re

from qingfeng.lib.segment import words

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
OTHER = re.compile(r"[0-9A-Za-z]+")


def bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


def tokens(text: str, *, with_words: bool = True) -> str:
    """The tokens of a text, once each, space-separated."""
    seen: dict[str, None] = {}
    for run in CJK.findall(text):
        for gram in bigrams(run):
            seen.setdefault(gram, None)
    if with_words:
        for word in words(text):
            if len(word) >= 2 and CJK.fullmatch(word):
                seen.setdefault(word, None)
    for word in OTHER.findall(text):
        seen.setdefault(word.lower(), None)
    return " ".join(seen)


def terms(query: str) -> list[str]:
    return [t for t in query.split() if t][:8]


def indexed(term: str) -> list[str]:
    """The bigrams a term is looked up by, or [] when it takes the scan."""
    if len(term) >= 2 and CJK.fullmatch(term):
        return bigrams(term)
    return []
