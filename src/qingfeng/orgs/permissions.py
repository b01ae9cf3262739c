"""Who may do what in the organisation module (one policy, like wagtail's).

`can(user, action, obj)` answers; views compute flags from it and templates only read them.
Object checks assume the object was already found through a scoped selector.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from qingfeng.core import permissions as core_permissions
from qingfeng.core.scope import has_role, in_scope, role_names, scope_paths
from qingfeng.orgs.models import Person, Role, Unit, User

# Not an observer (监督员): their own desk and the published evaluation only (oversight);
# not a third-party assessor (第三方评估员): their scores in the evaluation only.
VIEWERS = {r.value for r in Role} - {
    Role.AUDITOR.value,
    Role.OBSERVER.value,
    Role.THIRD_PARTY.value,
}
UNIT_MANAGERS: set[str] = {Role.BUREAU_ADMIN.value, Role.UNIT_ADMIN.value, Role.SYSTEM_ADMIN.value}

_RULES: dict[str, set[str]] = {
    "view_units": VIEWERS,
    "view_people": VIEWERS,
    "manage_units": UNIT_MANAGERS,
    "manage_people": UNIT_MANAGERS,
    "import_roster": UNIT_MANAGERS,
    "export_roster": UNIT_MANAGERS,
    # Clear mobile numbers leave only by a separate, reasoned, audited export (三权分立: never
    # the system admin, who sees no business content, nor the auditor).
    "export_clear_phones": {Role.BUREAU_ADMIN.value, Role.UNIT_ADMIN.value},
    "manage_accounts": {Role.SYSTEM_ADMIN.value},
    "manage_liaisons": {Role.BUREAU_ADMIN.value},
    **{action: set(roles) for action, roles in core_permissions.RULES.items()},
}


def can(user: User, action: str, obj: Unit | Person | None = None) -> bool:
    roles = _RULES.get(action)
    if roles is None:
        raise KeyError(f"unknown action {action!r}")
    if not user.is_authenticated or not has_role(user, *roles):
        return False
    if obj is None:
        return True
    unit = obj if isinstance(obj, Unit) else obj.unit
    return in_scope(user, unit.path, roles=roles)


def has_scope(user: User) -> bool:
    return bool(scope_paths(user))


# The gates a signed-in user passes before anything else (the pages' middleware and the API's
# authentication ask the same two questions).


def totp_required(user: User) -> bool:
    return bool(role_names(user) & set(settings.QF_TOTP_REQUIRED_ROLES))


def password_expired(user: User) -> bool:
    if user.must_change_password:
        return True
    if settings.QF_PASSWORD_MAX_AGE_DAYS <= 0 or user.password_changed_at is None:
        return user.password_changed_at is None
    return timezone.now() - user.password_changed_at > timedelta(
        days=settings.QF_PASSWORD_MAX_AGE_DAYS
    )
