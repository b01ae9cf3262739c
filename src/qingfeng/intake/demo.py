"""Demo tickets for a demo installation (`manage.py seed_demo_cases`, run by `make run` once):
a few reports about the demo school and its county in every state of the life cycle, made
through the channel's own actions — stored first, events, audit, notifications, the duplicate
check — so the queue, a ticket's page, the follow-up page and the statistics show something
at once. The receipt codes are printed once, as the form would show them. And last month's
tickets (`seed_last_month_tickets`): received, answered and rated then, each step moved back to
its day (core/backdate.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.apps import apps
from django.db.models import F
from django.utils import timezone

from qingfeng.core.backdate import shift_since
from qingfeng.intake.actions import check_rate, check_submit_ticket, handling
from qingfeng.intake.models import Ticket, TicketCategory
from qingfeng.intake.receipts import grouped
from qingfeng.ledger.models import Category, Problem
from qingfeng.orgs.models import Role, RoleAssignment, Unit, User


class DemoTicketsExist(Exception):
    pass


@dataclass
class DemoTickets:
    codes: dict[str, str] = field(default_factory=dict)  # what each demo ticket shows → its code
    problem: str = ""


def _role_unit(username: str, role: str) -> Unit:
    return RoleAssignment.objects.get(user__username=username, role=role, revoked_at=None).unit


def seed_demo_tickets() -> DemoTickets:
    """Needs the demo accounts of `seed_demo`; refuses when any ticket exists already."""
    if Ticket.objects.exists():
        raise DemoTicketsExist
    bureau = User.objects.get(username="demo_bureau")
    county_admin = User.objects.get(username="demo_county")
    school_admin = User.objects.get(username="demo_school")
    hotline = User.objects.get(username="demo_hotline")
    school = _role_unit("demo_school", Role.UNIT_ADMIN)
    county = _role_unit("demo_county", Role.UNIT_ADMIN)
    fees, gifts, canteen, service = (
        TicketCategory.objects.get(name=name)
        for name in ("乱收费乱办班乱订资料", "违规收受礼品礼金", "校园安全与食堂", "服务态度与效能")
    )
    result = DemoTickets()

    def web(key: str, category: TicketCategory, unit: Unit, title: str, content: str) -> Ticket:
        ticket, code = check_submit_ticket(
            kind=Ticket.Kind.COMPLAINT,
            category=category,
            unit=unit,
            title=title,
            content=content,
            occurred="本学期",
            anonymous=True,
        )
        result.codes[key] = code
        return ticket

    # Just filed, and a second parent writing about the same matter (flagged as a
    # near-duplicate by the task worker once it runs).
    web(
        "新提交",
        fees,
        school,
        f"{school.name}要求统一购买教辅资料",
        f"{school.name}三年级要求每名学生统一购买教辅资料，每人一百二十元，没有公示收费依据。",
    )
    web(
        "疑似重复",
        fees,
        school,
        "三年级收教辅费没有收据",
        f"孩子在{school.name}读三年级，老师让每人交一百二十元买教辅资料，不给收据，也没说依据。",
    )
    # A named caller on the hotline, accepted and assigned to the county, being handled.
    call, code = handling.check_enter_call(
        actor=hotline,
        channel=Ticket.Channel.PHONE,
        kind=Ticket.Kind.COMPLAINT,
        category=service,
        unit=county,
        title="办理学籍转出手续来回跑",
        content=f"来电人反映到{county.name}办理学籍转出手续，窗口推诿，来回跑了三次仍未办成。",
        anonymous=False,
        reporter_name="来电家长",
        reporter_phone="13900000000",
    )
    result.codes["热线办理中"] = code
    handling.do_accept(call, actor=bureau)
    handling.check_assign(call, actor=bureau, unit=county, note="请核实窗口办理情况，限期答复。")
    handling.do_start(call, actor=county_admin)
    # Answered and rated satisfied (closed); answered and rated dissatisfied (sent back).
    for key, rating, title, content, reply in (
        (
            "已办结满意",
            5,
            "食堂饭菜有变质情况",
            f"{school.name}食堂午餐多次出现饭菜变质，家长反映后没有回应。",
            "经现场检查，已更换食材供应商并公示每周菜谱，家长代表每月参与陪餐。",
        ),
        (
            "不满意重办",
            2,
            "教师节收受家长购物卡",
            f"{school.name}有老师在教师节收受家长购物卡。",
            "经调查，未发现收受购物卡的情况。",
        ),
    ):
        ticket = web(key, canteen if rating == 5 else gifts, school, title, content)
        handling.do_accept(ticket, actor=bureau)
        handling.check_assign(ticket, actor=bureau, unit=school)
        handling.do_start(ticket, actor=school_admin)
        handling.check_reply(ticket, actor=school_admin, body=reply)
        check_rate(
            Ticket.objects.get(pk=ticket.pk),
            rating=rating,
            comment="" if rating > 2 else "调查只问了老师本人，没有找家长核实。",
        )
    # Not the channel's business: declined with the reason the reporter reads.
    declined = web(
        "不予受理",
        service,
        county,
        "小区物业收费过高",
        "小区物业费每年上涨，希望教育局出面协调。",
    )
    handling.check_decline(
        declined, actor=bureau, reason="物业收费不属于教育系统管辖，请向住房和城乡建设部门反映。"
    )
    # A matter that becomes a ledger problem (the double feedback then reads its reply).
    serious = web(
        "转为台账问题",
        fees,
        school,
        "假期组织有偿补课",
        f"{school.name}暑假期间组织初三学生到校外补课，每人收费八百元。",
    )
    handling.do_accept(serious, actor=bureau)
    active = Category.objects.filter(is_active=True)
    ledger_category = (
        active.filter(name="乱收费乱办班乱订资料").first()
        or active.order_by("sort_order", "id").first()
    )
    if ledger_category is not None:
        problem = handling.check_create_problem_from_ticket(
            serious,
            actor=bureau,
            category=ledger_category,
            list_kind=Problem.ListKind.DEPARTMENT_RISK,
        )
        result.problem = problem.number
    return result


# Last month's tickets about the demo school: (category, title, content, received on day,
# answered on day, the reporter's rating or None). Days count from the month's first.
LAST_MONTH = (
    (
        "校园安全与食堂",
        "校门口上下学时段交通拥堵",
        "{school}校门口上下学时段车辆乱停，学生过马路不安全，希望安排人员疏导。",
        1,
        6,
        5,
    ),
    (
        "乱收费乱办班乱订资料",
        "校服费用收取不透明",
        "{school}今年统一订购校服，没有公布价格构成和供应商选择过程。",
        4,
        11,
        4,
    ),
    (
        "服务态度与效能",
        "转学咨询电话无人接听",
        "多次拨打{school}办公室电话咨询转学手续，工作时间一直无人接听。",
        9,
        15,
        3,
    ),
    (
        "校园安全与食堂",
        "宿舍热水供应时间太短",
        "{school}住校生反映宿舍每天热水只供应半小时，冬天洗漱困难。",
        14,
        20,
        None,
    ),
)


def seed_last_month_tickets() -> list[Ticket]:
    """Last month's tickets, as the month's flow would have left them: reports about the demo
    school received on several days, accepted, assigned and answered within their deadline,
    most rated by their reporter. Each step is made through the actions now, then moved back
    to its day (`shift_since`), its deadlines with it."""
    bureau = User.objects.get(username="demo_bureau")
    school_admin = User.objects.get(username="demo_school")
    school = _role_unit("demo_school", Role.UNIT_ADMIN)
    intake_models = list(apps.get_app_config("intake").get_models())
    today = timezone.localdate()
    first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    made = []
    for category, title, content, received, replied, rating in LAST_MONTH:
        back = timedelta(days=(today - (first + timedelta(days=received))).days)
        since = timezone.now()
        ticket, _code = check_submit_ticket(
            kind=Ticket.Kind.COMPLAINT,
            category=TicketCategory.objects.get(name=category),
            unit=school,
            title=title,
            content=content.format(school=school.name),
            occurred="上月",
            anonymous=True,
        )
        handling.do_accept(ticket, actor=bureau)
        handling.check_assign(ticket, actor=bureau, unit=school)
        handling.do_start(ticket, actor=school_admin)
        shift_since(since, back, intake_models)
        days = timedelta(days=back.days)
        Ticket.objects.filter(pk=ticket.pk).update(
            accept_due=F("accept_due") - days, reply_due=F("reply_due") - days
        )
        Ticket.objects.filter(pk=ticket.pk).exclude(due_key=date.max).update(
            due_key=F("due_key") - days
        )
        back = timedelta(days=(today - (first + timedelta(days=replied))).days)
        since = timezone.now()
        ticket = Ticket.objects.get(pk=ticket.pk)
        handling.check_reply(ticket, actor=school_admin, body="已核实情况并整改，现予答复。")
        if rating is not None:
            check_rate(Ticket.objects.get(pk=ticket.pk), rating=rating, comment="")
        shift_since(since, back, intake_models)
        made.append(ticket)
    return made


def demo_lines() -> list[str]:
    """`seed_demo_cases`: the demo tickets, and their receipt codes to print (once, as the
    form would show them)."""
    result = seed_demo_tickets()
    past = seed_last_month_tickets()
    lines = [
        f"已载入 {len(result.codes)} 件演示工单，另有上月 {len(past)} 件 / loaded "
        f"{len(result.codes)} demo tickets and {len(past)} of last month",
        "演示回执码（在 /report/track/ 查询）/ receipt codes to try at /report/track/:",
    ]
    lines += [f"  {label}：{grouped(code)}" for label, code in result.codes.items()]
    if result.problem:
        lines.append(f"转为台账问题 / became ledger problem {result.problem}")
    return lines


def has_tickets() -> bool:
    return Ticket.objects.exists()
