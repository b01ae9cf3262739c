"""Printing the channel's posters in bulk is recorded: who printed how many units' posters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from qingfeng.core.audit import record_audit

if TYPE_CHECKING:
    from qingfeng.orgs.models import Unit, User


@transaction.atomic
def do_record_poster_print(*, actor: User, under: Unit | None, units: Sequence[Unit]) -> None:
    record_audit(
        actor=actor,
        action="intake.posters.print",
        obj=under,
        after={"units": len(units), "unit_ids": [u.pk for u in units[:50]]},
        object_repr=under.name if under else _("全部"),
    )
