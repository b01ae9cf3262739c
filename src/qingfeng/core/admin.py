"""The Django admin is the system admin's tool for settings, and nobody else's.

It signs in through our own login (password, second factor, lockout) rather than the admin's
form, opens only to a verified session of an active `system_admin`, and never shows the
audit trail: the system admin must not read or touch it (三权分立); the auditor has a page
of their own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, Group
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from qingfeng.core import actions
from qingfeng.core.audit import record_audit
from qingfeng.core.context import SESSION_VERIFIED
from qingfeng.core.models import AuditEvent, CalendarDay, CalendarYear, Job
from qingfeng.core.scope import has_role

if TYPE_CHECKING:
    from qingfeng.orgs.models import User

ADMIN_ROLE = "system_admin"
# The apps whose models the system admin manages in the admin (model permissions follow
# from the role, not from per-user permission rows nobody would maintain).
ADMIN_APPS = frozenset({"core", "orgs"})


def is_system_admin(user: AbstractBaseUser | AnonymousUser) -> bool:
    return (
        isinstance(user, get_user_model())
        and user.is_active
        and user.is_staff
        and has_role(user, ADMIN_ROLE)
    )


def _has_permission(request: HttpRequest) -> bool:
    return is_system_admin(request.user) and bool(request.session.get(SESSION_VERIFIED))


def _login(request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
    """Our sign-in instead of the admin's own form; a signed-in user who is not the system
    admin is refused outright instead of being asked to sign in again."""
    if request.user.is_authenticated:
        raise PermissionDenied
    return redirect_to_login(request.GET.get("next") or reverse("admin:index"), settings.LOGIN_URL)


def _password_change(
    request: HttpRequest, extra_context: dict[str, Any] | None = None
) -> HttpResponse:
    return redirect("accounts:password_change")  # the audited change, with the policy


# Instance attributes rather than a subclass: the default site stays the one every app's
# admin.py registers on, with no settings change.
admin.site.has_permission = _has_permission  # type: ignore[method-assign]
admin.site.login = _login  # type: ignore[method-assign]
admin.site.password_change = _password_change  # type: ignore[method-assign,assignment]
admin.site.site_header = "清风 · 系统设置"
admin.site.site_title = "清风 · 系统设置"
admin.site.index_title = "系统设置"
admin.site.unregister(Group)  # roles are ours (orgs.RoleAssignment), groups are unused


class SystemAdminPermissions(BaseBackend):
    """Model permissions in the admin follow from the system_admin role (settings:
    AUTHENTICATION_BACKENDS). The audit trail is outside them whatever the role."""

    def has_perm(self, user_obj: Any, perm: str, obj: Model | None = None) -> bool:
        app_label, _dot, codename = perm.partition(".")
        return (
            app_label in ADMIN_APPS
            and not codename.endswith("_auditevent")
            and is_system_admin(user_obj)
        )

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        return app_label in ADMIN_APPS and is_system_admin(user_obj)


class AuditedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]  # not subscriptable at run time
    """Admin edits are changes like any other: each one writes an audit event."""

    def save_model(
        self, request: HttpRequest, obj: Any, form: ModelForm[Any], change: bool
    ) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            changed = {name: str(form.cleaned_data.get(name)) for name in form.changed_data}
            action = "update" if change else "create"
            record_audit(
                actor=request.user if isinstance(request.user, get_user_model()) else None,
                action=f"admin.{obj._meta.label_lower}.{action}",
                obj=obj,
                after=changed,
            )

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        with transaction.atomic():
            actor = request.user if isinstance(request.user, get_user_model()) else None
            record_audit(actor=actor, action=f"admin.{obj._meta.label_lower}.delete", obj=obj)
            super().delete_model(request, obj)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # Bulk deletes would skip the audit trail; deleting one object at a time is audited.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


def _actor(request: HttpRequest) -> User:
    assert isinstance(request.user, get_user_model())  # the site opens to the system admin only
    return cast("User", request.user)


@admin.register(CalendarYear)
class CalendarYearAdmin(AuditedAdmin):
    """Years are published through the calendar's action, audited as on the calendar page."""

    list_display = ["year", "source", "updated_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["year"] if obj is not None else []  # publishing is keyed by the year

    def save_model(
        self, request: HttpRequest, obj: CalendarYear, form: ModelForm[Any], change: bool
    ) -> None:
        entry = actions.do_publish_calendar_year(
            actor=_actor(request), year=obj.year, source=obj.source
        )
        obj.pk = entry.pk


class CalendarDayForm(ModelForm):  # type: ignore[type-arg]  # not subscriptable at run time
    class Meta:
        model = CalendarDay
        fields = ["date", "is_workday", "name"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date") is not None and not self.errors:
            try:
                actions.validate_calendar_day(
                    day=data["date"], is_workday=data["is_workday"], name=data.get("name", "")
                )
            except ValidationError as exc:
                self.add_error(None, exc)
        return data


@admin.register(CalendarDay)
class CalendarDayAdmin(AuditedAdmin):
    """Days change through the calendar's actions: the page's rules, the page's audit events."""

    form = CalendarDayForm
    list_display = ["date", "is_workday", "name"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"
    search_fields = ["name"]

    def save_model(
        self, request: HttpRequest, obj: CalendarDay, form: ModelForm[Any], change: bool
    ) -> None:
        actor = _actor(request)
        with transaction.atomic():
            if change and "date" in form.changed_data:  # moved: the old day is undone
                actions.do_remove_calendar_day(CalendarDay.objects.get(pk=obj.pk), actor=actor)
            entry = actions.check_set_calendar_day(
                actor=actor, day=obj.date, is_workday=obj.is_workday, name=obj.name
            )
        obj.pk = entry.pk

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        assert isinstance(obj, CalendarDay)
        actions.do_remove_calendar_day(obj, actor=_actor(request))


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["id", "kind", "status", "attempts", "created_at", "finished_at"]
    list_filter = ["status", "kind"]
    readonly_fields = [f.name for f in Job._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


# The audit trail is deliberately not registered (see the module docstring); a test checks.
_ = AuditEvent
