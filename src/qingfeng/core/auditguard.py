"""Whether PostgreSQL keeps the application from rewriting the audit trail.

The triggers (migrations 0003, 0008) refuse UPDATE, DELETE and TRUNCATE for every role, but
the table's owner — or a superuser — may drop or disable them. So the application must connect
as a role that neither owns the table nor holds UPDATE, DELETE or TRUNCATE on it, while the
migrations run as the owner (docs/postgresql-roles.md). When that is not so, Qingfeng still
runs but says so: a system check (`manage.py check --database default`) and one warning in the
log when a process first connects. The anchors outside the database (core/audit.py) still show
a cut or wiped trail; only the database can prevent one.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core import checks
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

log = logging.getLogger(__name__)

TABLE = "core_auditevent"
TRIGGERS = ("core_auditevent_no_change", "core_auditevent_no_truncate")
_checked: set[str] = set()


def protection_gaps(connection: BaseDatabaseWrapper) -> list[str] | None:
    """What lets the connected role rewrite the audit table ([] when nothing does), or None
    when there is nothing to ask: not PostgreSQL, or the table does not exist yet."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [TABLE])
        if not cursor.fetchone()[0]:
            return None
        cursor.execute(
            """SELECT current_user,
                      (SELECT rolsuper FROM pg_roles WHERE rolname = current_user),
                      pg_has_role(current_user, c.relowner, 'USAGE'),
                      has_table_privilege(c.oid, 'UPDATE'),
                      has_table_privilege(c.oid, 'DELETE'),
                      has_table_privilege(c.oid, 'TRUNCATE')
               FROM pg_class c WHERE c.oid = %s::regclass""",
            [TABLE],
        )
        role, superuser, owner, *rights = cursor.fetchone()
        cursor.execute(
            """SELECT tgname FROM pg_trigger
               WHERE tgrelid = %s::regclass AND NOT tgisinternal AND tgenabled <> 'D'""",
            [TABLE],
        )
        enabled = {name for (name,) in cursor.fetchall()}
    gaps = []
    if superuser:
        gaps.append(f"role {role} is a superuser: it can drop the audit triggers")
    elif owner:
        gaps.append(f"role {role} owns {TABLE}: it can drop or disable the audit triggers")
    held = [name for name, has in zip(("UPDATE", "DELETE", "TRUNCATE"), rights, strict=True) if has]
    if held and not superuser:
        gaps.append(f"role {role} holds {', '.join(held)} on {TABLE}")
    gaps.extend(
        f"trigger {name} is missing or disabled" for name in TRIGGERS if name not in enabled
    )
    return gaps


def check_audit_protection(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """The system check: a warning per database whose role could rewrite the audit trail."""
    found: list[checks.CheckMessage] = []
    for alias in databases or []:
        gaps = protection_gaps(connections[alias])
        if gaps:
            found.append(
                checks.Warning(
                    f"审计表未受数据库保护 (the audit table is not protected by the database): "
                    f"{'; '.join(gaps)}",
                    hint="应用以仅有 SELECT、INSERT 权限的角色连接，迁移以表的所有者角色运行 "
                    "(connect as an application role with SELECT and INSERT only; run migrations "
                    "as the owning role): docs/postgresql-roles.md",
                    id="qingfeng.W010",
                )
            )
    return found


def warn_once(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """On a process's first connection to a migrated PostgreSQL database, log loudly when the
    application role could rewrite the audit trail."""
    if connection.alias in _checked or connection.vendor != "postgresql":
        return
    gaps = protection_gaps(connection)
    if gaps is None:
        return
    _checked.add(connection.alias)
    if gaps:
        log.warning(
            "the audit table is not protected by the database (docs/postgresql-roles.md): %s",
            "; ".join(gaps),
        )
