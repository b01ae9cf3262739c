from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.db.models import Model
from django.forms import ModelForm
from django.http import HttpRequest

from qingfeng.core.audit import record_audit
from qingfeng.core.models import AuditEvent, CalendarDay, CalendarYear, Job
from qingfeng.orgs.models import User


class AuditedAdmin(admin.ModelAdmin):
    """Admin edits are changes like any other: each one writes an audit event."""

    def save_model(
        self, request: HttpRequest, obj: Any, form: ModelForm[Any], change: bool
    ) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            changed = {name: str(form.cleaned_data.get(name)) for name in form.changed_data}
            action = "update" if change else "create"
            record_audit(
                actor=request.user if isinstance(request.user, User) else None,
                action=f"admin.{obj._meta.label_lower}.{action}",
                obj=obj,
                after=changed,
            )

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        with transaction.atomic():
            actor = request.user if isinstance(request.user, User) else None
            record_audit(actor=actor, action=f"admin.{obj._meta.label_lower}.delete", obj=obj)
            super().delete_model(request, obj)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # Bulk deletes would skip the audit trail; deleting one object at a time is audited.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.register(CalendarYear)
class CalendarYearAdmin(AuditedAdmin):
    list_display = ["year", "source", "updated_at"]


@admin.register(CalendarDay)
class CalendarDayAdmin(AuditedAdmin):
    list_display = ["date", "is_workday", "name"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"
    search_fields = ["name"]


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "status", "attempts", "created_at", "finished_at"]
    list_filter = ["status", "kind"]
    readonly_fields = [f.name for f in Job._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


# The audit trail is not in the admin: the system admin must not read or touch it (三权分立);
# the auditor has a page of their own.
_ = AuditEvent
