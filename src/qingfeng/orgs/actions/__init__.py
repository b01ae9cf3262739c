"""Every change in the organisation module, one function each, in one transaction with its
audit row: the tree, people, roles and liaison areas (`units`), accounts (`accounts`) and
signing in (`signin`). Callers use `from qingfeng.orgs import actions; actions.do_…`."""

from __future__ import annotations

from qingfeng.orgs.actions.accounts import (
    TOKEN_PREFIX,
    check_create_account,
    do_change_password,
    do_create_api_token,
    do_enable_totp,
    do_record_login,
    do_reset_password,
    do_reset_totp,
    do_revoke_api_token,
    do_set_account_active,
    do_unlock,
    hash_token,
    temporary_password,
)
from qingfeng.orgs.actions.signin import (
    LoginLocked,
    check_credentials,
    do_register_login_failure,
    do_reset_login_failures,
    is_locked,
    new_totp_secret,
    totp_uri,
    verify_totp,
)
from qingfeng.orgs.actions.units import (
    PERSON_FIELDS,
    UNIT_FIELDS,
    check_move_unit,
    check_set_liaisons,
    do_create_person,
    do_create_unit,
    do_grant_role,
    do_revoke_role,
    do_set_unit_active,
    do_update_person,
    do_update_unit,
)

__all__ = [
    "PERSON_FIELDS",
    "TOKEN_PREFIX",
    "UNIT_FIELDS",
    "LoginLocked",
    "check_create_account",
    "check_credentials",
    "check_move_unit",
    "check_set_liaisons",
    "do_change_password",
    "do_create_api_token",
    "do_create_person",
    "do_create_unit",
    "do_enable_totp",
    "do_grant_role",
    "do_record_login",
    "do_register_login_failure",
    "do_reset_login_failures",
    "do_reset_password",
    "do_reset_totp",
    "do_revoke_api_token",
    "do_revoke_role",
    "do_set_account_active",
    "do_set_unit_active",
    "do_unlock",
    "do_update_person",
    "do_update_unit",
    "hash_token",
    "is_locked",
    "new_totp_secret",
    "temporary_password",
    "totp_uri",
    "verify_totp",
]
