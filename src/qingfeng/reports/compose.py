"""The monthly bulletin's content: the month's figures for every unit below the issuer, read
through the registry (core/registry.py `figure_sources`: the ledger, the channel, the
evaluation, the campaign — and oversight and learning once they register theirs), kept as the
bulletin's snapshot; and the official document made from that snapshot alone, so the
document's numbers are the snapshot's."""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Mapping
from datetime import date
from typing import Any

from django.utils import timezone

from qingfeng.core import registry
from qingfeng.core.publicform.poster import PosterFontError, find_font_file
from qingfeng.lib import gbt9704
from qingfeng.lib.dates import month_last_day
from qingfeng.lib.gbt9704 import Heading, Image, OfficialDocument, Paragraph, Table
from qingfeng.orgs.models import Unit

DEFAULT_RULES = {
    "red_over": 3,
    "satisfaction_below": 85,
    "min_rated": 5,
    "listed": 10,
    "typical": 5,
}
# The figures of the apps that the bulletin writes sentences about; any other registered
# source is listed under 其他工作 with its own labels.
KNOWN_SOURCES = ("ledger", "intake", "evaluation", "learning", "oversight", "campaigns")
TYPICAL_MOST = 10  # 典型问题's headings count （一） to （十） (ORDINALS)


def build_snapshot(issuer: Unit, first: date, rules: Mapping[str, int]) -> dict[str, Any]:
    """Every registered figure of the month for the issuer and each unit below it (nonzero
    only), summed by county and for the whole — the issuer's own records (its study cadence,
    a problem of its own) count in the whole, as on the dashboard of its subtree —, with the
    units below named for praise and criticism and the month's typical problems. A month not
    over yet is read up to today, as the dashboard reads it: a weekly report or a task whose
    due day is still ahead is not counted as missing or overdue."""
    last = min(month_last_day(first), timezone.localdate())
    units = list(
        Unit.objects.within(issuer)
        .filter(is_active=True)
        .only("pk", "name", "path", "kind", "category")
        .order_by("path")
    )
    ids = [u.pk for u in units]
    per_unit: dict[int, dict[str, int]] = defaultdict(dict)
    sources = []
    for source in registry.figure_sources():
        computed = source.compute(ids, first, last)
        for pk, row in computed.items():
            per_unit[pk].update({k: int(v) for k, v in row.items() if v})
        sources.append(
            {
                "key": source.key,
                "label": str(source.label),
                "figures": [[f.key, str(f.label)] for f in source.figures if not f.burden],
            }
        )
    counties = {u.pk: u for u in units if u.kind == Unit.Kind.COUNTY}
    county_of = {u.pk: _county(u, counties) for u in units}
    by_county: dict[int, dict[str, int]] = {pk: defaultdict(int) for pk in counties}
    totals: dict[str, int] = defaultdict(int)
    for pk, row in per_unit.items():
        for key, value in row.items():
            totals[key] += value
            if county_of.get(pk) is not None:
                by_county[county_of[pk]][key] += value  # type: ignore[index]
    names = {u.pk: u.name for u in units}
    below = {pk: row for pk, row in per_unit.items() if pk != issuer.pk}
    return {
        "issuer": issuer.name,
        "month": first.isoformat(),
        "end": last.isoformat(),
        "made_at": timezone.now().isoformat(),
        "with_issuer": True,
        "sources": sources,
        "totals": dict(totals),
        "counties": [
            {"id": pk, "name": counties[pk].name, "figures": dict(by_county[pk])} for pk in counties
        ],
        "units": {str(pk): row for pk, row in per_unit.items() if row},
        "praise": _praise(below, names, rules),
        "criticism": _criticism(below, names, rules),
        "remedial": _remedial_units(below, names, rules),
        "typical": typical_cases([pk for pk in ids if pk != issuer.pk], first, last, rules),
    }


def typical_cases(
    unit_ids: list[int], first: date, last: date, rules: Mapping[str, int]
) -> list[dict[str, str]]:
    """The month's typical problems with their cases (典型问题), from every app that keeps a
    case library (core/registry.py `TypicalCaseSource`: learning's 典型案例库), at most
    `rules["typical"]` in all."""
    limit = min(rules.get("typical", DEFAULT_RULES["typical"]), TYPICAL_MOST)
    found: list[dict[str, str]] = []
    for source in registry.typical_case_sources():
        if len(found) >= limit:
            break
        for case in source.cases(unit_ids, first, last, limit - len(found)):
            found.append(
                {
                    "title": case.title,
                    "category": case.category,
                    "facts": case.facts,
                    "outcome": case.outcome,
                    "lessons": case.lessons,
                    "case": case.case,
                    "origin": case.origin,
                    "url": case.url,
                }
            )
    return found[:limit]


def typical_paragraphs(snapshot: Mapping[str, Any]) -> list[gbt9704.writer.Block]:
    """三、典型问题: each case under its own heading, from the snapshot alone (a bulletin made
    before the section existed has none, and says so)."""
    cases = snapshot.get("typical") or []
    if not cases:
        return [Paragraph("本月无新入库的典型问题案例。")]
    blocks: list[gbt9704.writer.Block] = []
    for i, case in enumerate(cases, start=1):
        blocks.append(Heading(2, f"（{_ordinal(i)}）{case['title']}"))
        text = _sentence(case["facts"])
        if case["outcome"]:
            text += f"处理结果：{_sentence(case['outcome'])}"
        blocks.append(Paragraph(text))
        if case["lessons"]:
            blocks.append(Paragraph(f"警示：{_sentence(case['lessons'])}"))
        linked = "，".join(
            part
            for part in (
                case["category"],
                f"典型案例库编号 {case['case']}" if case["case"] else "",
                f"源自{case['origin']}" if case["origin"] else "",
            )
            if part
        )
        blocks.append(Paragraph(f"（{linked}）"))
    return blocks


def _sentence(text: str) -> str:
    """One paragraph of the case's text, ending in a full stop."""
    text = " ".join(text.split())
    return text if text.endswith(("。", "！", "？", "”")) else f"{text}。"


def _county(unit: Unit, counties: Mapping[int, Unit]) -> int | None:
    """The county a unit's records count for: the county itself (its bureau's own records)
    or the one above it."""
    if unit.pk in counties:
        return unit.pk
    for pk in unit.ancestor_ids():
        if pk in counties:
            return pk
    return None


def rate(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "—"


def _praise(
    per_unit: Mapping[int, Mapping[str, int]], names: Mapping[int, str], rules: Mapping[str, int]
) -> list[list[str]]:
    """Units that closed problems this month, all on time, none overdue or red, and filed
    every weekly report due on time."""
    found = []
    for pk, f in per_unit.items():
        closed = f.get("problems_closed", 0)
        if (
            closed
            and f.get("problems_closed_on_time", 0) == closed
            and not f.get("problems_overdue")
            and not f.get("problems_red")
            and f.get("weekly_on_time", 0) >= f.get("weekly_due", 0)
        ):
            found.append((-closed, names[pk], f"按期销号问题 {closed} 个，无逾期、无红灯问题"))
    return [[name, why] for _n, name, why in sorted(found)[: rules["listed"]]]


def _remedial_units(
    per_unit: Mapping[int, Mapping[str, int]], names: Mapping[int, str], rules: Mapping[str, int]
) -> dict[str, list[str]]:
    """The units below in a remedial round (回炉补课) at the time of the snapshot, and those
    whose re-evaluation in the month was still below the threshold (提级督办), by name."""
    return {
        key: sorted(names[pk] for pk, f in per_unit.items() if f.get(figure))[: rules["listed"]]
        for key, figure in (("open", "remedials_open"), ("escalated", "remedials_escalated"))
    }


def _criticism(
    per_unit: Mapping[int, Mapping[str, int]], names: Mapping[int, str], rules: Mapping[str, int]
) -> list[list[str]]:
    found = []
    for pk, f in per_unit.items():
        reasons = []
        if f.get("problems_red", 0) > rules["red_over"]:
            reasons.append(f"红灯问题 {f['problems_red']} 个")
        if f.get("remedials_escalated"):
            reasons.append("群众评议回炉复评仍未达标、提级督办")
        missing = f.get("weekly_due", 0) - f.get("weekly_on_time", 0) - f.get("weekly_late", 0)
        if f.get("weekly_late"):
            reasons.append(f"周报逾期报送 {f['weekly_late']} 次")
        if missing > 0:
            reasons.append(f"周报未报送 {missing} 次")
        for rated, satisfied, what in (
            ("tickets_rated", "tickets_satisfied", "工单满意率"),
            ("ratings_base", "ratings_satisfied", "群众评议满意率"),
        ):
            base = f.get(rated, 0)
            if (
                base >= rules["min_rated"]
                and 100 * f.get(satisfied, 0) < rules["satisfaction_below"] * base
            ):
                reasons.append(f"{what} {rate(f.get(satisfied, 0), base)}")
        if reasons:
            found.append((-len(reasons), names[pk], "；".join(reasons)))
    return [[name, why] for _n, name, why in sorted(found)[: rules["listed"]]]


def _n(figures: Mapping[str, int], key: str) -> int:
    return int(figures.get(key, 0))


def _names(names: list[str] | None) -> str:
    return f"（{'、'.join(names)}）" if names else ""


def overview(snapshot: Mapping[str, Any]) -> list[str]:
    """一、总体情况: one sentence per source that is registered."""
    t = snapshot["totals"]
    keys = {k for s in snapshot["sources"] for k, _label in s["figures"]}
    lines = []
    if "problems_new" in keys:
        lines.append(
            f"全市新增问题 {_n(t, 'problems_new')} 个（领导班子问题清单 "
            f"{_n(t, 'problems_new_leadership')} 个、科室风险清单 "
            f"{_n(t, 'problems_new_department_risk')} 个、个人整改清单 "
            f"{_n(t, 'problems_new_personal')} 个），销号 {_n(t, 'problems_closed')} 个，其中按期销号 "
            f"{_n(t, 'problems_closed_on_time')} 个，按期销号率 "
            f"{rate(_n(t, 'problems_closed_on_time'), _n(t, 'problems_closed'))}；截至统计时在改问题 "
            f"{_n(t, 'problems_open')} 个，其中逾期 {_n(t, 'problems_overdue')} 个、红灯 "
            f"{_n(t, 'problems_red')} 个。"
        )
    if "tickets_received" in keys:
        lines.append(
            f"作风建设直通车收到工单 {_n(t, 'tickets_received')} 件，办结 "
            f"{_n(t, 'tickets_replied')} 件，评价 {_n(t, 'tickets_rated')} 件，满意率 "
            f"{rate(_n(t, 'tickets_satisfied'), _n(t, 'tickets_rated'))}，超期未办结 "
            f"{_n(t, 'tickets_overdue')} 件。"
        )
    if "ratings_base" in keys:
        named = snapshot.get("remedial") or {}  # a snapshot made before it names none
        lines.append(
            f"群众评议有效评议 {_n(t, 'ratings_base')} 份，满意率 "
            f"{rate(_n(t, 'ratings_satisfied'), _n(t, 'ratings_base'))}；回炉补课中的单位 "
            f"{_n(t, 'remedials_open')} 个{_names(named.get('open'))}，本月复评仍未达标、"
            f"提级督办的单位 {_n(t, 'remedials_escalated')} 个{_names(named.get('escalated'))}。"
        )
    if "sessions_held" in keys:
        lines.append(
            f"学习教育举行学习 {_n(t, 'sessions_held')} 次，应到 {_n(t, 'attendance_expected')} "
            f"人次（除请假），出席 {_n(t, 'attendance_attended')} 人次，出席率 "
            f"{rate(_n(t, 'attendance_attended'), _n(t, 'attendance_expected'))}；完成补课 "
            f"{_n(t, 'makeups_done')} 人次，待补课 {_n(t, 'makeups_open')} 人次；学习规定动作应落实 "
            f"{_n(t, 'cadence_due')} 项次，已落实 {_n(t, 'cadence_kept')} 项次，落实率 "
            f"{rate(_n(t, 'cadence_kept'), _n(t, 'cadence_due'))}。"
        )
    if "visits_finished" in keys:
        lines.append(
            f"开展督导（四不两直）{_n(t, 'visits_finished')} 次，发现问题 "
            f"{_n(t, 'visit_findings')} 个，其中现场立行立改 {_n(t, 'visit_findings_fixed')} 个；"
            f"观察员参加督导巡察 {_n(t, 'observer_joined')} 人次，提出建议 "
            f"{_n(t, 'observer_suggestions')} 条。"
        )
    if "weekly_due" in keys:
        lines.append(
            f"周调度应报周报 {_n(t, 'weekly_due')} 份，按时报送 {_n(t, 'weekly_on_time')} 份，"
            f"逾期报送 {_n(t, 'weekly_late')} 份，报送及时率 "
            f"{rate(_n(t, 'weekly_on_time'), _n(t, 'weekly_due'))}；完成任务 "
            f"{_n(t, 'tasks_done')} 项，逾期未完成 {_n(t, 'tasks_overdue')} 项。"
        )
    return lines


COUNTY_COLUMNS = (
    "单位",
    "新增问题",
    "销号",
    "按期销号率",
    "逾期",
    "红灯",
    "办结工单",
    "工单满意率",
    "周报及时率",
)


def county_rows(snapshot: Mapping[str, Any]) -> list[list[str]]:
    rows = []
    for county in snapshot["counties"]:
        f = county["figures"]
        rows.append(
            [
                county["name"],
                str(_n(f, "problems_new")),
                str(_n(f, "problems_closed")),
                rate(_n(f, "problems_closed_on_time"), _n(f, "problems_closed")),
                str(_n(f, "problems_overdue")),
                str(_n(f, "problems_red")),
                str(_n(f, "tickets_replied")),
                rate(_n(f, "tickets_satisfied"), _n(f, "tickets_rated")),
                rate(_n(f, "weekly_on_time"), _n(f, "weekly_due")),
            ]
        )
    return rows


def chart(snapshot: Mapping[str, Any]) -> bytes | None:
    """按期销号率 by county as a bar chart (PNG), or None without a Chinese font."""
    from PIL import Image as PILImage
    from PIL import ImageDraw, ImageFont

    try:
        font_path = find_font_file()
    except PosterFontError:
        return None
    counties = snapshot["counties"]
    if not counties:
        return None
    width, bar, gap, left, top = 1400, 64, 28, 330, 80
    height = max(360, top + len(counties) * (bar + gap) + 40)
    image = PILImage.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(font_path), 34)
    draw.text((left, 10), "各县区按期销号率", fill="black", font=font)
    span = width - left - 160
    for i, county in enumerate(counties):
        f = county["figures"]
        closed = _n(f, "problems_closed")
        share = _n(f, "problems_closed_on_time") / closed if closed else 0.0
        y = top + i * (bar + gap)
        draw.text((10, y + 12), county["name"][:9], fill="black", font=font)
        draw.rectangle((left, y, left + max(2, int(span * share)), y + bar), fill="#c00000")
        label = rate(_n(f, "problems_closed_on_time"), closed)
        draw.text((left + int(span * share) + 12, y + 12), label, fill="black", font=font)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def document(
    *,
    snapshot: Mapping[str, Any],
    mark: str,
    number: str,
    title: str,
    addressees: str,
    copies_to: list[str],
    dated: date,
    signer: str = "",
) -> OfficialDocument:
    """The bulletin as an official document, from its snapshot alone."""
    body: list[gbt9704.writer.Block] = [
        Paragraph(f"现将{_month_words(snapshot)}全市教育系统作风建设工作情况通报如下。"),
        Heading(1, "一、总体情况"),
        *(Paragraph(line) for line in overview(snapshot)),
        Heading(1, "二、各县区情况"),
        Table(COUNTY_COLUMNS, county_rows(snapshot), caption="表1 各县区作风建设主要数据"),
    ]
    picture = chart(snapshot)
    if picture is not None:
        body.append(Image(picture, width_mm=150, caption="图1 各县区按期销号率"))
    body.append(Heading(1, "三、典型问题"))
    body += typical_paragraphs(snapshot)
    others = [s for s in snapshot["sources"] if s["key"] not in KNOWN_SOURCES]
    section = 4
    if others:
        body.append(Heading(1, f"{_ordinal(section)}、其他工作"))
        for source in others:
            figures = "，".join(
                f"{label} {_n(snapshot['totals'], key)}" for key, label in source["figures"]
            )
            body.append(Paragraph(f"{source['label']}：{figures}。"))
        section += 1
    for heading, rows, empty in (
        ("表扬", snapshot["praise"], "本月无符合表扬条件的单位。"),
        ("通报批评", snapshot["criticism"], "本月无符合通报批评条件的单位。"),
    ):
        body.append(Heading(1, f"{_ordinal(section)}、{heading}"))
        body += [Paragraph(f"{name}：{why}。") for name, why in rows] or [Paragraph(empty)]
        section += 1
    body += [
        Heading(1, f"{_ordinal(section)}、下一步工作要求"),
        Paragraph(
            "各单位要对照本通报查找差距，被通报批评的单位要在 5 个工作日内向市教育局作出书面说明，"
            "逾期、红灯问题要明确责任人和整改时限，按期销号。"
        ),
    ]
    issuer = snapshot["issuer"]
    return OfficialDocument(
        mark=mark,
        number=number,
        title=title,
        addressees=addressees,
        body=body,
        signature=issuer,
        dated=dated,
        printer=f"{issuer}办公室",
        printed_on=dated,
        copies_to=copies_to,
        signer=signer,
    )


ORDINALS = "一二三四五六七八九十"


def _ordinal(n: int) -> str:
    return ORDINALS[n - 1]


def _month_words(snapshot: Mapping[str, Any]) -> str:
    first = date.fromisoformat(snapshot["month"])
    return f"{first.year}年{first.month}月"
