"""The demo city: deterministic units, people and the demo logins that `make run` prints."""

from __future__ import annotations

DEMO_PASSWORD = "Qingfeng@Demo2026"  # noqa: S105 - the demo's own, printed by `make run`

DEMO_LOGINS_HELP = f"""
演示账号（密码均为 {DEMO_PASSWORD}）/ Demo logins (password {DEMO_PASSWORD}):
  demo_school   学校管理员 / school admin
  demo_county   县区管理员 / county admin
  demo_bureau   局管理员（首次登录需绑定动态口令）/ bureau admin (sets up TOTP at first login)
  demo_auditor  安全审计员（需动态口令）/ auditor (TOTP)
  demo_sysadmin 系统管理员（需动态口令）/ system admin (TOTP)
"""
