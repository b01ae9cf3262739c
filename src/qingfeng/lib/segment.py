"""Chinese word segmentation and part-of-speech tags (jieba), for the few places that need
words rather than characters: masking person names, and comparing two complaints word by word.

One tokenizer per process, loaded on first use (about a second) and shared by threads; the
dictionary is jieba's own, so results are the same on every machine. Pure text in, text out:
callers that know extra words (the people on a roster, the names of units) pass them, and
they are added to the shared dictionary once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import Any

_lock = threading.Lock()
_tokenizer: Any = None
_tagger: Any = None
_added: set[tuple[str, str]] = set()


def _load() -> tuple[Any, Any]:
    global _tokenizer, _tagger
    with _lock:
        if _tagger is None:
            import jieba
            import jieba.posseg

            logging.getLogger("jieba").setLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer()
            tokenizer.initialize()
            _tokenizer = tokenizer
            _tagger = jieba.posseg.POSTokenizer(tokenizer)
    return _tokenizer, _tagger


def add_words(words: Iterable[str], *, tag: str) -> None:
    """Teach the tokenizer words it must keep whole, with their tag (``nr`` a person's name,
    ``nt`` an organisation). Adding a word twice costs nothing."""
    tokenizer, _ = _load()
    with _lock:
        for word in words:
            word = word.strip()
            if len(word) >= 2 and (word, tag) not in _added:
                tokenizer.add_word(word, freq=None, tag=tag)
                _added.add((word, tag))


def words(text: str) -> list[str]:
    """The words of the text in order, punctuation and spaces included as their own tokens."""
    tokenizer, _ = _load()
    return list(tokenizer.lcut(text or "", HMM=True))


def tagged(text: str) -> list[tuple[str, str]]:
    """(word, part-of-speech tag) pairs in order, with jieba's tag set: ``nr`` person name,
    ``ns`` place, ``nt`` organisation, ``m`` number, ``x`` punctuation…"""
    _, tagger = _load()
    return [(pair.word, pair.flag) for pair in tagger.lcut(text or "", HMM=True)]


def frequency(word: str) -> int:
    """How often the dictionary counts the word (0 for a word it does not know): common
    words are in the thousands, most people's names are absent."""
    tokenizer, _ = _load()
    return int(tokenizer.FREQ.get(word) or 0)


def is_word(text: str) -> bool:
    """Whether jieba's dictionary (with the words added) holds `text` as a word."""
    tokenizer, _ = _load()
    return bool(tokenizer.FREQ.get(text))
