from __future__ import annotations

from django.contrib import admin

from qingfeng.core.admin import AuditedAdmin
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
class RoleAssignmentAdmin(AuditedAdmin):
    list_display = ["user", "role", "unit", "granted_at", "revoked_at"]
    list_filter = ["role"]
    raw_id_fields = ["user", "unit", "granted_by"]
    search_fields = ["user__username", "unit__name"]


@admin.register(Unit)
class UnitAdmin(AuditedAdmin):
    list_display = ["name", "code", "kind", "category", "is_active"]
    list_filter = ["kind", "category", "is_active"]
    search_fields = ["name", "code", "short_name"]
    readonly_fields = ["parent", "path", "depth"]


@admin.register(Liaison)
class LiaisonAdmin(AuditedAdmin):
    list_display = ["leader", "county", "assigned_at"]
    raw_id_fields = ["leader", "county", "assigned_by"]
