"""Failed sign-ins were counted under the name as typed, often a password typed into the
wrong field. Counts are now kept under a keyed hash of the name; the rows under plain names
are removed (a count lives ten minutes, so nothing that matters is lost)."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def forget_plain_names(apps: Any, schema_editor: Any) -> None:
    throttle = apps.get_model("orgs", "LoginThrottle")
    throttle.objects.exclude(username_key__startswith="name:").exclude(
        username_key__startswith="addr:"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("orgs", "0002_add_roster_import")]

    operations = [migrations.RunPython(forget_plain_names, migrations.RunPython.noop)]
