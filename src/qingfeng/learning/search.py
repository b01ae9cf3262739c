"""Chinese full-text search of the case library, the same on SQLite and PostgreSQL.

The tokens are lib/search.py's (the same as the ledger's and intake's filters, whose index is
core/search.py's); the case library keeps its own columns because its text is joined from six
fields. The app writes the tokens itself (the CJK bigrams of the text, jieba's words, and the other
words lower-cased) to `Case.tokens` on every write; SQLite indexes them in an FTS5 table
(`unicode61`, rowid = the case's id), PostgreSQL in a GIN index over
`to_tsvector('simple', tokens)` (migration 0002). A query is split on spaces into terms that
must all occur. A term of two or more CJK characters narrows the candidates through the index
(all of its bigrams); every longer term is then checked as a substring of `Case.body` (two
bigrams may occur apart), so the answer is exactly what a LIKE scan gives, without scanning. A one-character term, or one with
other characters, takes the LIKE path alone.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from qingfeng.core.search import fts_match
from qingfeng.lib.search import CJK, OTHER, bigrams, indexed, terms, tokens

__all__ = [
    "CJK",
    "OTHER",
    "bigrams",
    "body_of",
    "indexed",
    "search",
    "terms",
    "tokens",
    "write_index",
]

FTS_TABLE = "learning_case_fts"
BODY_FIELDS = ("title", "facts", "rules", "outcome", "lessons", "source_document")


def body_of(values: dict[str, str]) -> str:
    return "\n".join(values.get(f, "") or "" for f in BODY_FIELDS)


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
        sql = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"  # noqa: S608
        return queryset.filter(id__in=RawSQL(sql, [fts_match(unique)]))  # noqa: S611
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
