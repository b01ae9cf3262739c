from django.db import migrations, models

from qingfeng.core.tally import Rollup, Tally, unfolded_statistics


def _path_ids(path):
    return [int(segment) for segment in path.split("/") if segment]


# The tally and its subtree sums as they were when this migration was written.
TALLY = Tally(
    source="intake_ticket",
    table="intake_tickettally",
    columns=("unit_id", "handling_unit_id", "handler_id", "status", "urgency"),
    nullable=("unit_id", "handling_unit_id", "handler_id"),
    rollup=Rollup(
        table="intake_ticketsubtreetally",
        units="orgs_unit",
        ancestors=_path_ids,
        also=("handling_unit_id",),
        keep=("status", "urgency"),
    ),
)


def sum_subtrees(apps, schema_editor):
    """Every unit's subtree sums, from the kept counts there are."""
    with schema_editor.connection.cursor() as cursor:
        TALLY.rollup.rebuild(TALLY, cursor)


class Migration(migrations.Migration):

    dependencies = [
        ("intake", "0015_reply_deadline_history"),
        ("orgs", "0003_forget_plain_login_names"),
    ]

    operations = [
        migrations.CreateModel(
            name="TicketSubtreeTally",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("unit_id", models.IntegerField()),
                ("status", models.CharField(max_length=12)),
                ("urgency", models.PositiveSmallIntegerField()),
                ("n", models.IntegerField(default=0)),
            ],
            options={
                "verbose_name": "工单下级合计",
                "verbose_name_plural": "工单下级合计",
                "constraints": [models.UniqueConstraint(fields=("unit_id", "status", "urgency"), name="intake_subtree_key")],
            },
        ),
        # A plain ADD COLUMN: SQLite would otherwise rebuild the table, which the ticket
        # table's triggers name (the rename fails while they do).
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(
                    model_name="tickettally",
                    name="folded",
                    field=models.IntegerField(db_default=0, default=0),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE intake_tickettally ADD COLUMN folded integer DEFAULT 0 NOT NULL",
                    "ALTER TABLE intake_tickettally DROP COLUMN folded",
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="tickettally",
            index=models.Index(condition=models.Q(("n", models.F("folded")), _negated=True), fields=["unit_id"], name="intake_tally_unfolded"),
        ),
        migrations.AddIndex(
            model_name="tickettally",
            index=models.Index(fields=["handler_id", "status"], name="intake_tally_handler"),
        ),
        migrations.RunPython(sum_subtrees, migrations.RunPython.noop),
        # PostgreSQL's statistics for `n <> folded` (core/tally.py unfolded_statistics).
        migrations.RunPython(*unfolded_statistics("intake_tickettally", "intake_tally_unfolded_pg")),
    ]
