from importlib import import_module

from django.db import migrations

# The tally as 0016 wrote it (unchanged since): PostgreSQL's statement triggers replace its
# row trigger, as ledger 0018 says.
TALLY = import_module("qingfeng.intake.migrations.0016_ticket_subtree_tally").TALLY


class Migration(migrations.Migration):
    dependencies = [("intake", "0016_ticket_subtree_tally")]

    operations = [migrations.RunPython(TALLY.replace_triggers, migrations.RunPython.noop)]
