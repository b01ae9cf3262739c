"""Copy the tickets' escalation records into core's one Escalation table (subject
"intake.ticket"); the next migration drops intake's own table."""

from django.db import migrations

SUBJECT = "intake.ticket"
BATCH = 2000


def forwards(apps, schema_editor):
    Old = apps.get_model("intake", "TicketEscalation")
    New = apps.get_model("core", "Escalation")
    batch = []
    for old in Old.objects.order_by("id").iterator(chunk_size=BATCH):
        batch.append(
            New(
                subject=SUBJECT,
                object_id=old.ticket_id,
                stage=old.stage,
                due=old.due,
                recipients=old.recipients,
                created_at=old.created_at,
            )
        )
        if len(batch) == BATCH:
            New.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    New.objects.bulk_create(batch, ignore_conflicts=True)


def backwards(apps, schema_editor):
    Old = apps.get_model("intake", "TicketEscalation")
    New = apps.get_model("core", "Escalation")
    copied = New.objects.filter(subject=SUBJECT)
    Old.objects.bulk_create(
        (
            Old(
                ticket_id=new.object_id,
                stage=new.stage,
                due=new.due,
                recipients=new.recipients,
                created_at=new.created_at,
            )
            for new in copied.order_by("id").iterator(chunk_size=BATCH)
        ),
        batch_size=BATCH,
        ignore_conflicts=True,
    )
    copied.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("intake", "0005_ticket_light_counts_index"),
        ("core", "0007_add_escalation"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
