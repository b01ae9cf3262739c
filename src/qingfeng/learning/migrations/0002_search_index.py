"""The case library's full-text index: an FTS5 table (unicode61) on SQLite, kept by the
actions (learning/search.py); a GIN index over to_tsvector('simple', tokens) on PostgreSQL."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def create(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            "CREATE VIRTUAL TABLE learning_case_fts USING fts5(tokens, tokenize='unicode61')"
        )
    elif schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX learning_case_tokens_gin ON learning_case "
            "USING gin (to_tsvector('simple', tokens))"
        )


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS learning_case_fts")
    elif schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS learning_case_tokens_gin")


class Migration(migrations.Migration):
    dependencies = [("learning", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
