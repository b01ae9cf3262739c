"""A demo round for `make run` (`seed_demo_cases`): the demo county's schools rated through
the public action — some 达标, one 确认低于85% (closed, so its remedial problems are in the
ledger), one 样本不足 — closed and published, made through the app's own actions."""

from __future__ import annotations

import random

from qingfeng.evaluation import actions
from qingfeng.evaluation.models import Response, Round
from qingfeng.orgs.models import Role, RoleAssignment, Unit, User

COMMENTS = (
    "老师很负责，孩子进步明显",
    "食堂饭菜有改善",
    "希望家校沟通再多一些",
    "放学接送秩序比以前好",
    "",
    "",
)
COMPLAINTS = (
    "学校要求统一购买校服和教辅，价格偏高",
    "班主任在家长群里催交资料费，没有收据",
    "反映的问题一直没人回复",
)


def _rate(unit: Unit, rng: random.Random, *, n: int, satisfied: int, tag: str) -> None:
    items = Round.objects.filter(status=Round.Status.OPEN).first().items  # type: ignore[union-attr]
    types = list(Response.RespondentType.values)
    for i in range(n):
        happy = i < satisfied
        overall = rng.choice([5, 4, 4, 3]) if happy else rng.choice([2, 2, 1])
        answers = {
            item: (rng.choice([5, 4, 3]) if happy else rng.choice([3, 2, 1])) for item in items
        }
        comment = rng.choice(COMMENTS) if happy else rng.choice(COMPLAINTS)
        actions.check_submit_rating(
            unit,
            respondent_type=rng.choice(types),
            overall=overall,
            answers=answers,
            comment=comment,
            idempotency_key=f"demo-{tag}-{i:04d}",
            seconds=rng.randint(12, 60),
        )


def seed_demo_round() -> Round:
    bureau_user = User.objects.get(username="demo_bureau")
    county = RoleAssignment.objects.get(
        user__username="demo_county", role=Role.UNIT_ADMIN, revoked_at=None
    ).unit
    owner = Unit.objects.get(pk=county.ancestor_ids()[0])
    round_ = actions.check_create_round(
        actor=bureau_user,
        owner=owner,
        name=f"{county.name}学校群众满意度评议",
        area=county,
        kinds=[Unit.Kind.SCHOOL, Unit.Kind.KINDERGARTEN],
    )
    actions.check_open_round(round_, actor=bureau_user)
    schools = [ru.unit for ru in round_.covered.select_related("unit").order_by("unit__path")]
    rng = random.Random(2026)  # noqa: S311 - demo data, reproducible
    plan = [(40, 38), (36, 34), (45, 43), (40, 22), (12, 11)]  # (n, satisfied)
    for k, (unit, (n, ok)) in enumerate(zip(schools, plan, strict=False)):
        _rate(unit, rng, n=n, satisfied=ok, tag=str(k))
    actions.check_close_round(round_, actor=bureau_user)
    # Published: the schools see their own results and the county's observers theirs.
    actions.check_publish_round(round_, actor=bureau_user)
    return round_


def demo_lines() -> list[str]:
    round_ = seed_demo_round()
    remedials = round_.remedials.count()
    return [
        f"已载入演示评议“{round_.name}”，{remedials} 个单位回炉补课 / "
        f"loaded a demo evaluation round, {remedials} remedial round(s)"
    ]


def has_rounds() -> bool:
    return Round.objects.exists()
