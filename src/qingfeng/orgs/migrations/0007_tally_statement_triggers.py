from importlib import import_module

from django.db import migrations

# The tallies as 0005 and 0006 wrote them (unchanged since): PostgreSQL's statement triggers
# replace their row triggers, as ledger 0018 says.
PERSON_TALLY = import_module("qingfeng.orgs.migrations.0005_person_tally").TALLY
UNIT_TALLY = import_module("qingfeng.orgs.migrations.0006_unit_tally").TALLY


class Migration(migrations.Migration):
    dependencies = [("orgs", "0006_unit_tally")]

    operations = [
        migrations.RunPython(PERSON_TALLY.replace_triggers, migrations.RunPython.noop),
        migrations.RunPython(UNIT_TALLY.replace_triggers, migrations.RunPython.noop),
    ]
