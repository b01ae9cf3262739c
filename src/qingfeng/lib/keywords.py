"""Suggesting a category from a text by its keywords: the one matcher the public channel
(tickets) and the ledger import (rows without 问题类别) share. Pure: callers pass what each
category's keywords are."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

_NOT_WORD = re.compile(r"[\W_]+")  # what str.isalnum() refuses: punctuation, symbols, spaces


def normalise(text: str) -> str:
    """NFKC (full-width letters and digits become half-width), lower case, and only letters
    and digits kept: punctuation, symbols and whitespace are dropped."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text or "").casefold())


@dataclass(frozen=True)
class KeywordMatch(Generic[T]):
    item: T
    score: float
    keywords: tuple[str, ...]  # as the caller wrote them


def match_keywords(
    text: str, candidates: Iterable[tuple[T, Iterable[str]]]
) -> list[KeywordMatch[T]]:
    """The candidates whose keywords occur in the text, best first (ties keep the order
    given); longer and repeated keywords weigh more ("有偿补课" says more than "补课")."""
    normalised = normalise(text)
    found: list[KeywordMatch[T]] = []
    for item, keywords in candidates:
        hits: list[str] = []
        score = 0.0
        for word in keywords:
            keyword = normalise(word)
            count = normalised.count(keyword) if keyword else 0
            if count:
                hits.append(word.strip())
                score += len(keyword) * (1 + 0.5 * (count - 1))
        if hits:
            found.append(KeywordMatch(item, score, tuple(hits)))
    found.sort(key=lambda m: -m.score)
    return found
