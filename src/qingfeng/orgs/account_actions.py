"""Changes to accounts: passwords, second factor, API tokens, sign-in records."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone

from qingfeng.core.audit import record_audit
from qingfeng.orgs.models import ApiToken, Person, User

TOKEN_PREFIX = "qf_"  # noqa: S105 - a visible marker, not a secret


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "ignore")).hexdigest()


@transaction.atomic
def record_login(user: User) -> None:
    User.objects.filter(pk=user.pk).update(last_login=timezone.now())
    record_audit(actor=user, action="orgs.login.success", obj=user)


@transaction.atomic
def do_change_password(user: User, *, new_password: str) -> None:
    user.set_password(new_password)
    user.must_change_password = False
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password", "must_change_password", "password_changed_at"])
    record_audit(actor=user, action="orgs.password.change", obj=user)


@transaction.atomic
def do_enable_totp(user: User, *, secret: str) -> None:
    user.totp_secret = secret
    user.totp_confirmed_at = timezone.now()
    user.save(update_fields=["totp_secret", "totp_confirmed_at"])
    record_audit(actor=user, action="orgs.totp.enable", obj=user)


@transaction.atomic
def do_reset_totp(user: User, *, actor: User) -> None:
    user.totp_secret = ""
    user.totp_confirmed_at = None
    user.save(update_fields=["totp_secret", "totp_confirmed_at"])
    record_audit(actor=actor, action="orgs.totp.reset", obj=user)


@transaction.atomic
def do_create_api_token(user: User, *, name: str) -> str:
    """Returns the token once; only its hash is kept."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    ApiToken.objects.create(
        user=user, name=name.strip(), prefix=token[:10], key_hash=hash_token(token)
    )
    record_audit(
        actor=user,
        action="orgs.api_token.create",
        obj=user,
        after={"name": name, "prefix": token[:10]},
    )
    return token


@transaction.atomic
def do_revoke_api_token(token: ApiToken, *, actor: User) -> None:
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record_audit(
        actor=actor, action="orgs.api_token.revoke", obj=token.user, after={"prefix": token.prefix}
    )


@transaction.atomic
def check_create_account(
    person: Person, *, actor: User | None, username: str, password: str, must_change: bool = True
) -> User:
    """A login account for a person; the password must meet the policy."""
    user = User(username=username.strip())
    validate_password(password, user)
    user.full_clean(exclude=["password"])
    user.set_password(password)
    user.must_change_password = must_change
    user.password_changed_at = timezone.now()
    user.save()
    person.user = user
    person.save(update_fields=["user"])
    record_audit(
        actor=actor,
        action="orgs.account.create",
        obj=user,
        unit=person.unit,
        after={"username": user.username, "person": person.pk},
    )
    return user
