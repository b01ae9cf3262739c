"""The demo installation: deterministic units, people and the demo logins `make run` prints.

    plan.py   the tree and its people as plain data, pure in (size, seed)
    seed.py   writes a plan into an empty database (`manage.py seed_demo`)
    names.py  the made-up names it draws from

Every place and person name is made up from common characters; a draw that gives the name
of a well-known public figure is repeated.
"""

from __future__ import annotations

from qingfeng.orgs.demo.plan import SIZES, People, Plan, build_plan
from qingfeng.orgs.demo.seed import (
    DEMO_ACCOUNTS,
    DEMO_LOGINS_HELP,
    DEMO_PASSWORD,
    DemoAlreadySeeded,
    SeedSummary,
    demo_accounts_exist,
    do_seed_demo,
)

__all__ = [
    "DEMO_ACCOUNTS",
    "DEMO_LOGINS_HELP",
    "DEMO_PASSWORD",
    "SIZES",
    "DemoAlreadySeeded",
    "People",
    "Plan",
    "SeedSummary",
    "build_plan",
    "demo_accounts_exist",
    "do_seed_demo",
]
