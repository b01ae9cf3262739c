from django.db import migrations

# PostgreSQL cannot estimate a comparison of two columns (it takes `n <> folded` to hold for
# 99.5 % of the kept counts) and so read the whole table instead of the partial index
# ledger_tally_unfolded when a reader added the rows not yet folded (core/tally.py Rollup):
# 174 ms at province size for no row. An index on the expression itself gets statistics of
# its own from ANALYZE, and the planner then reads this index for them (0.1 ms). SQLite uses
# the partial index as it is.
INDEX = "ledger_tally_unfolded_pg"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON ledger_problemtally ((n <> folded))"
        )
        schema_editor.execute("ANALYZE ledger_problemtally")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("ledger", "0016_index_problem_category")]

    operations = [migrations.RunPython(create, drop)]
