from importlib import import_module

from django.db import migrations

# The tally as 0015 wrote it (unchanged since). On PostgreSQL its counts now follow a write
# by statement triggers with transition tables (one grouped statement per write statement)
# instead of a row trigger (two statements per row: 0.3 ms a row at a daily light
# recompute's 178,000 changed rows): core/tally.py Tally.postgres. SQLite's row triggers are
# made again as they were. Backwards, the statement triggers stay: they keep the same counts.
TALLY = import_module("qingfeng.ledger.migrations.0015_problem_subtree_tally").TALLY


class Migration(migrations.Migration):
    dependencies = [("ledger", "0017_tally_unfolded_statistics")]

    operations = [migrations.RunPython(TALLY.replace_triggers, migrations.RunPython.noop)]
