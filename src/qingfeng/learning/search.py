"""Chinese full-text search of the case library, the same on SQLite and PostgreSQL.

The app writes the tokens itself (the CJK bigrams of the text, jieba's words, and the other
words lower-cased) to `Case.tokens` on every write; SQLite indexes them in an FTS5 table
(`unicode61`, rowid = the case's id), PostgreSQL in a GIN index over
`to_tsvector('simple', tokens)` (migration 0002). A query is split on spaces into terms that
must all occur. A term of two or more CJK characters narrows the candidates through the index
(all of its bigrams); every longer term is then checked as a substring of `Case.body` (two
bigrams may occur apart), so the answer is exactly what a LIKE scan gives, without scanning. A one-character term, or one with
other characters, takes the LIKE path alone.
"""

from __future__ import annotations

import re

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from qingfeng.lib.segment import words

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
OTHER = re.compile(r"[0-9A-Za-z]+")
FTS_TABLE = "learning_case_fts"
BODY_FIELDS = ("title", "facts", "rules", "outcome", "lessons", "source_document")


def bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


def tokens(text: str) -> str:
    """The tokens of a text, once each, space-separated."""
    seen: dict[str, None] = {}
    for run in CJK.findall(text):
        for gram in bigrams(run):
            seen.setdefault(gram, None)
    for word in words(text):
        if len(word) >= 2 and CJK.fullmatch(word):
            seen.setdefault(word, None)
    for word in OTHER.findall(text):
        seen.setdefault(word.lower(), None)
    return " ".join(seen)


def body_of(values: dict[str, str]) -> str:
    return "\n".join(values.get(f, "") or "" for f in BODY_FIELDS)


def terms(query: str) -> list[str]:
    return [t for t in query.split() if t][:8]


def indexed(term: str) -> list[str]:
    """The bigrams a term is looked up by, or [] when it takes the LIKE path."""
    if len(term) >= 2 and CJK.fullmatch(term):
        return bigrams(term)
    return []


def write_index(case_id: int, token_text: str) -> None:
    """Keep SQLite's FTS5 table in step with the row (PostgreSQL's index follows the column)."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid = %s", [case_id])  # noqa: S608
        cursor.execute(
            f"INSERT INTO {FTS_TABLE}(rowid, tokens) VALUES (%s, %s)",  # noqa: S608
            [case_id, token_text],
        )


def _narrow(queryset: QuerySet, grams: list[str]) -> QuerySet:
    unique = list(dict.fromkeys(grams))
    if connection.vendor == "sqlite":
        match = " AND ".join(f'"{g}"' for g in unique)
        sql = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"  # noqa: S608
        return queryset.filter(id__in=RawSQL(sql, [match]))  # noqa: S611
    return queryset.extra(
        where=["to_tsvector('simple', learning_case.tokens) @@ plainto_tsquery('simple', %s)"],
        params=[" ".join(unique)],
    )


def search(queryset: QuerySet, query: str) -> QuerySet:
    """The cases of `queryset` whose text holds every term of the query."""
    found = terms(query)
    grams = [g for t in found for g in indexed(t)]
    if grams:
        queryset = _narrow(queryset, grams)
    for term in found:
        # A two-character CJK term is one bigram: the index alone is exact for it.
        if len(term) != 2 or not indexed(term):
            queryset = queryset.filter(body__contains=term)
    return queryset
