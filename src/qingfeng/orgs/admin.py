from __future__ import annotations

from django.contrib import admin
from django.db import transaction
from django.forms import ModelForm
from django.http import HttpRequest

from qingfeng.core.admin import AuditedAdmin
from qingfeng.orgs import actions
from qingfeng.orgs.models import Liaison, RoleAssignment, Unit, User


@admin.register(User)
class UserAdmin(AuditedAdmin):
    list_display = [
        "username",
        "is_active",
        "must_change_password",
        "last_login",
        "totp_confirmed_at",
    ]
    list_filter = ["is_active", "must_change_password"]
    search_fields = ["username"]
    fields = [
        "username",
        "is_active",
        "must_change_password",
        "last_login",
        "password_changed_at",
        "totp_confirmed_at",
    ]
    readonly_fields = ["last_login", "password_changed_at", "totp_confirmed_at"]


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    """Read-only: roles are granted on the account page, through orgs.actions, where nobody
    can change their own roles (三权分立: a system admin cannot make themselves auditor)."""

    list_display = ["user", "role", "unit", "granted_at", "revoked_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "unit__name"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    """Units change only through orgs.actions, so paths stay right and every change is audited."""

    list_display = ["name", "code", "kind", "category", "is_active"]
    list_filter = ["kind", "category", "is_active"]
    search_fields = ["name", "code", "short_name"]
    raw_id_fields = ["parent"]
    readonly_fields = ["path", "depth", "is_active"]
    fields = [
        "name",
        "short_name",
        "aliases",
        "code",
        "kind",
        "category",
        "stage",
        "locale",
        "parent",
        "sort_order",
        "path",
        "depth",
        "is_active",
    ]

    def save_model(
        self, request: HttpRequest, obj: Unit, form: ModelForm[Unit], change: bool
    ) -> None:
        actor = request.user if isinstance(request.user, User) else None
        data = {f: form.cleaned_data[f] for f in actions.UNIT_FIELDS if f in form.cleaned_data}
        if not change:
            created = actions.do_create_unit(
                actor=actor, parent=form.cleaned_data.get("parent"), **data
            )
            obj.pk, obj.path, obj.depth = created.pk, created.path, created.depth
            return
        assert actor is not None
        with transaction.atomic():
            current = Unit.objects.get(pk=obj.pk)
            changed = {f: data[f] for f in form.changed_data if f in data}
            if changed:
                actions.do_update_unit(current, actor=actor, **changed)
            new_parent = form.cleaned_data.get("parent")
            if "parent" in form.changed_data and new_parent is not None:
                actions.check_move_unit(current, actor=actor, new_parent=new_parent)

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # units are deactivated, never deleted


@admin.register(Liaison)
class LiaisonAdmin(admin.ModelAdmin):
    """Read-only here: 包片 is set on its own page, which enforces the 1–2 county rule."""

    list_display = ["leader", "county", "assigned_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
