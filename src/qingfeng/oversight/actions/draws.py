"""双随机: freeze the pool, commit, take two public values from two officials, draw.

The commitment is made (and published) before any value can be entered: a value is entered
on a committed draw only, and the draw row exists only from its commitment on. A draw that
cannot be satisfied is refused before anything is written.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from qingfeng.core.audit import record_audit
from qingfeng.core.scope import in_scope
from qingfeng.ledger.models import Problem
from qingfeng.orgs.models import RoleAssignment, Unit, User
from qingfeng.oversight import drawing
from qingfeng.oversight.actions.groups import SUPERVISOR_ROLES
from qingfeng.oversight.models import Conflict, Draw, DrawValue, Group, Visit
from qingfeng.oversight.permissions import OFFICE
from qingfeng.oversight.workflow import DRAW

TARGET_KINDS = (Unit.Kind.SCHOOL, Unit.Kind.KINDERGARTEN)
OPEN = (
    Problem.Status.ASSIGNED,
    Problem.Status.ACCEPTED,
    Problem.Status.RECTIFYING,
    Problem.Status.CLOSURE_REQUESTED,
)


def county_ids(root: Unit) -> dict[str, int]:
    """Path → id of every county in (or above) the tree of `root`."""
    found = Unit.objects.filter(kind=Unit.Kind.COUNTY).filter(
        Q(path__startswith=root.path) | Q(pk__in=root.ancestor_ids())
    )
    return dict(found.values_list("path", "pk"))


def county_of(path: str, counties: dict[str, int]) -> int | None:
    for county_path, pk in counties.items():
        if path.startswith(county_path):
            return pk
    return None


def risk_weights(unit_ids: list[int]) -> dict[int, int]:
    """1 + red problems + open problems from tickets + open problems of failed evaluations."""
    rows = (
        Problem.objects.filter(unit_id__in=unit_ids, status__in=OPEN)
        .values("unit_id")
        .annotate(
            red=Count("pk", filter=Q(light=Problem.Light.RED)),
            from_tickets=Count(
                "pk", filter=Q(source__in=[Problem.Source.CHANNEL, Problem.Source.HOTLINE])
            ),
            failed=Count("pk", filter=Q(source=Problem.Source.REMEDIAL)),
        )
    )
    return {r["unit_id"]: 1 + r["red"] + r["from_tickets"] + r["failed"] for r in rows}


def pool_units(owner: Unit, filters: dict[str, Any]) -> list[dict[str, Any]]:
    units = Unit.objects.within(owner).filter(
        is_active=True, kind__in=filters.get("kinds") or TARGET_KINDS
    )
    if filters.get("counties"):
        query = Q(pk__in=[])
        for county in Unit.objects.filter(pk__in=filters["counties"]):
            query |= county.subtree_q("")
        units = units.filter(query)
    if filters.get("stages"):
        units = units.filter(stage__in=filters["stages"])
    if filters.get("categories"):
        units = units.filter(category__in=filters["categories"])
    months = int(filters.get("exclude_visited_months") or 0)
    if months:
        since = timezone.now() - timedelta(days=30 * months)
        visited = Visit.objects.filter(unit__isnull=False, started_at__gte=since).values("unit_id")
        units = units.exclude(pk__in=visited)
    counties = county_ids(owner)
    rows = list(units.values("pk", "code", "path", "stage").order_by("code"))
    weights = risk_weights([r["pk"] for r in rows]) if filters.get("weighted") else {}
    return [
        {
            "id": r["pk"],
            "code": r["code"],
            "county": county_of(r["path"], counties),
            "stage": r["stage"],
            "weight": weights.get(r["pk"], 1),
        }
        for r in rows
    ]


def pool_inspectors(owner: Unit) -> list[dict[str, Any]]:
    """People holding the supervisor or inspector role in the owner's tree (or above it),
    with the units they work or worked in (their unit, every role they held, revoked ones
    too) and the units they declared a conflict with."""
    near = Q(unit__path__startswith=owner.path) | Q(unit_id__in=owner.ancestor_ids())
    # The supervisors as a subquery, not as a list of ids: a city may give the role to tens of
    # thousands of people, and each read below would otherwise send every id as a parameter.
    supervisors = RoleAssignment.objects.filter(
        near, role__in=SUPERVISOR_ROLES, revoked_at__isnull=True, user__is_active=True
    ).values("user_id")
    # Each supervisor with the unit they work in, in one read (a person row per account).
    works_in: dict[int, int] = {}
    for user_id, unit_id in supervisors.values_list("user_id", "user__person__unit_id"):
        if unit_id is not None:
            works_in[user_id] = unit_id
        else:
            works_in.setdefault(user_id, 0)  # an account with no person row
    users = sorted(works_in)
    # A role granted between these reads is left for the next draw (each read is a statement
    # of its own, which may see a newer snapshot on PostgreSQL). Roles elsewhere and declared
    # conflicts are few, so the common person costs one dict entry, not a set of their own.
    others = RoleAssignment.objects.filter(user_id__in=supervisors).exclude(
        role__in=SUPERVISOR_ROLES
    )
    worked: dict[int, set[int]] = {}
    for user_id, unit_id in others.values_list("user_id", "unit_id"):
        worked.setdefault(user_id, set()).add(unit_id)
    declared: dict[int, set[int]] = {}
    for user_id, unit_id in Conflict.objects.filter(person_id__in=supervisors).values_list(
        "person_id", "unit_id"
    ):
        declared.setdefault(user_id, set()).add(unit_id)
    # The county of each unit worked in, once per unit (not once per person and unit).
    counties = county_ids(owner)
    unit_ids = sorted({u for u in works_in.values() if u} | {u for s in worked.values() for u in s})
    county: dict[int, int | None] = {}
    for at in range(0, len(unit_ids), 2000):
        found = Unit.objects.filter(pk__in=unit_ids[at : at + 2000]).values_list("pk", "path")
        county.update((pk, county_of(path, counties)) for pk, path in found)
    rows = []
    for user_id in users:
        own: set[int] = {works_in[user_id]} if works_in[user_id] else set()
        if user_id in worked:
            own |= worked[user_id]
        home = {c for u in own if (c := county.get(u)) is not None}
        rows.append(
            {
                "id": user_id,
                "units": sorted(own | declared[user_id]) if user_id in declared else sorted(own),
                "counties": sorted(home),
            }
        )
    return rows


def _params(
    *,
    count: int | None,
    percent: int | None,
    stratify: bool,
    weighted: bool,
    per: int,
    filters: dict[str, Any],
    per_stratum: bool = False,
) -> dict[str, Any]:
    if bool(count) == bool(percent):
        raise ValidationError(_("请填写抽取数量或抽取比例（二者选一）"))
    if per_stratum and not stratify:
        raise ValidationError(_("每层各抽须同时选择按县区×学段分层"))
    if (count is not None and count < 0) or (percent is not None and not 0 < percent <= 100):
        raise ValidationError(_("抽取比例须在 1% 至 100% 之间"))
    if per == 1 or per < 0 or per > 10:
        raise ValidationError(_("每个对象抽取的督导人员须为 0（不抽人员）或 2 至 10 名"))
    params = {
        "count": count or None,
        "percent": percent or None,
        "stratify": stratify,
        "weighted": weighted,
        "inspectors_per_target": per,
        "filters": filters,
    }
    if per_stratum:  # only when asked: the parameters of a shared-out draw stay as they were
        params["per_stratum"] = True
    return params


def _satisfiable(pool: dict[str, Any], params: dict[str, Any]) -> None:
    units, inspectors = pool["units"], pool["inspectors"]
    strata = drawing.strata_of(list(units), bool(params.get("stratify")))
    shares = drawing.shares_for({k: len(v) for k, v in strata.items()}, params)
    total = sum(shares.values())
    if not units:
        raise ValidationError(_("抽取池为空：没有符合筛选条件的单位"))
    if total <= 0:
        raise ValidationError(_("按此比例抽取数量为 0，请提高比例"))
    if total > len(units):
        raise ValidationError(
            _("抽取池只有 %(n)d 个单位，少于要抽取的 %(k)d 个") % {"n": len(units), "k": total}
        )
    small = [(len(strata[key]), shares[key]) for key in strata if shares[key] > len(strata[key])]
    if small:
        raise ValidationError(
            _("%(k)d 个分层的单位少于每层要抽取的数量（如某层只有 %(n)d 个单位，要抽 %(s)d 个）")
            % {"k": len(small), "n": small[0][0], "s": small[0][1]}
        )
    per = params["inspectors_per_target"]
    if not per:
        return
    if not inspectors:
        raise ValidationError(_("没有可抽取的督导人员（名册中无督导或巡察角色人员）"))
    short = [u for u, n in drawing.eligible_counts(units, inspectors).items() if n < per]
    if short:
        names = "、".join(Unit.objects.filter(pk__in=short[:5]).values_list("name", flat=True))
        raise ValidationError(
            _("%(k)d 个单位回避后可抽取的督导人员不足 %(p)d 名（如：%(n)s）")
            % {"k": len(short), "p": per, "n": names}
        )


def _number() -> str:
    year = timezone.localdate().year
    count = Draw.objects.filter(number__startswith=f"SJ{year}-").count()
    return f"SJ{year}-{count + 1:04d}"


@transaction.atomic
def check_commit_draw(
    *,
    actor: User,
    owner: Unit,
    name: str,
    purpose: str,
    value_note: str,
    count: int | None = None,
    percent: int | None = None,
    stratify: bool = False,
    per_stratum: bool = False,
    weighted: bool = False,
    inspectors_per_target: int = 2,
    counties: Sequence[int] = (),
    stages: Sequence[str] = (),
    kinds: Sequence[str] = (),
    categories: Sequence[str] = (),
    exclude_visited_months: int = 0,
    group: Group | None = None,
) -> Draw:
    """Freeze the pool and the parameters, make a fresh seed, record and publish the
    commitment. Nothing is written when the draw cannot be satisfied."""
    if not in_scope(actor, owner.path, roles=OFFICE):
        raise ValidationError(_("只有本单位的专项办或管理员可以组织随机抽取"))
    if not name.strip():
        raise ValidationError({"name": _("请填写抽取名称")})
    if not value_note.strip():
        raise ValidationError(
            {"value_note": _("请写明约定的公开随机数来源（如某期开奖号码、某日指数收盘）")}
        )
    filters = {
        "counties": sorted(int(c) for c in counties),
        "stages": sorted(stages),
        "kinds": sorted(kinds),
        "categories": sorted(categories),
        "exclude_visited_months": int(exclude_visited_months),
        "weighted": weighted,
    }
    params = _params(
        count=count,
        percent=percent,
        stratify=stratify,
        weighted=weighted,
        per=inspectors_per_target,
        filters=filters,
        per_stratum=per_stratum,
    )
    pool = {"units": pool_units(owner, filters), "inspectors": []}
    if inspectors_per_target:
        pool["inspectors"] = pool_inspectors(owner)
    return commit(
        actor=actor,
        owner=owner,
        name=name,
        purpose=purpose,
        params=params,
        pool=pool,
        value_note=value_note,
        group=group,
    )


def commit(
    *,
    actor: User,
    owner: Unit,
    name: str,
    purpose: str,
    params: dict[str, Any],
    pool: dict[str, Any],
    value_note: str,
    group: Group | None = None,
) -> Draw:
    """Refuse an unsatisfiable draw; else a fresh seed, the commitment, its event and audit."""
    _satisfiable(pool, params)
    seed = secrets.token_hex(32)
    digest = drawing.pool_hash(pool)
    draw = Draw.objects.create(
        number=_number(),
        name=name.strip()[:100],
        purpose=purpose,
        owner=owner,
        group=group,
        status=Draw.Status.COMMITTED,
        params=params,
        pool=pool,
        pool_hash=digest,
        seed=seed,
        commitment=drawing.commitment(params=params, pool_digest=digest, seed=seed),
        value_note=value_note.strip()[:200],
        committed_by=actor,
    )
    DRAW.record_event(draw, "commit", actor=actor, to_status=draw.status)
    record_audit(
        actor=actor,
        action="oversight.draw.commit",
        obj=draw,
        after={"commitment": draw.commitment, "pool_hash": digest, "units": len(pool["units"])},
    )
    return draw


@transaction.atomic
def check_enter_value(draw: Draw, *, actor: User, value: str, source: str) -> Draw:
    """One of the two public values, by two different officials; the second one draws."""
    DRAW.lock(draw)
    if draw.status != Draw.Status.COMMITTED:
        raise DRAW.error(draw.status, "draw")
    if not in_scope(actor, draw.owner.path, roles=OFFICE):
        raise ValidationError(_("只有本单位的专项办或管理员可以录入公开随机数"))
    value, source = value.strip(), source.strip()
    if not value or len(value) > 100:
        raise ValidationError({"value": _("请填写公开随机数（不超过 100 个字符）")})
    if not source:
        raise ValidationError({"source": _("请写明公开随机数的来源（期号、日期）")})
    entered = list(draw.values.all())
    if any(v.entered_by_id == actor.pk for v in entered):
        raise ValidationError(_("两个公开随机数须由两名不同人员分别录入（双人录入）"))
    row = DrawValue.objects.create(
        draw=draw, position=len(entered) + 1, value=value, source=source[:200], entered_by=actor
    )
    DRAW.record_event(draw, "value", actor=actor, reason=f"{row.position}: {value}")
    record_audit(
        actor=actor,
        action="oversight.draw.value",
        obj=draw,
        after={"position": row.position, "value": value, "source": row.source},
    )
    if row.position < 2:
        return draw
    values = [v.value for v in [*entered, row]]
    with DRAW.move(draw, "draw", actor=actor) as step:
        draw.result = drawing.draw(draw.pool, draw.params, seed=draw.seed, values=values)
        draw.drawn_at = timezone.now()
        step.note.update(targets=len(draw.result["targets"]))
    return draw


@transaction.atomic
def check_publish_draw(draw: Draw, *, actor: User) -> Draw:
    """Publish the units checked and the outcome, once every visit made from it is over."""
    DRAW.lock(draw)
    if draw.status != Draw.Status.DRAWN or draw.published_at is not None:
        raise ValidationError(_("只有已抽取且未公开的抽取结果可以公开"))
    if draw.visits.filter(status__in=[Visit.Status.SEALED, Visit.Status.STARTED]).exists():
        raise ValidationError(_("本次抽取的督导尚未全部结束，结果暂不能公开"))
    draw.published_at = timezone.now()
    draw.save(update_fields=["published_at"])
    DRAW.record_event(draw, "publish", actor=actor)
    record_audit(actor=actor, action="oversight.draw.publish", obj=draw)
    return draw


def certificate(draw: Draw) -> dict[str, Any]:
    """Everything a verifier needs (drawing.verify), as issued after the draw."""
    return {
        "number": draw.number,
        "name": draw.name,
        "algorithm": drawing.ALGORITHM,
        "params": draw.params,
        "pool": draw.pool,
        "pool_hash": draw.pool_hash,
        "commitment": draw.commitment,
        "committed_at": draw.committed_at.isoformat(),
        "seed": draw.seed,
        "values": [v.value for v in draw.values.all()],
        "value_sources": [v.source for v in draw.values.all()],
        "result": draw.result,
        "drawn_at": draw.drawn_at.isoformat() if draw.drawn_at else None,
    }
