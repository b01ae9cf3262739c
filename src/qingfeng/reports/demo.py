"""The demo bulletin and assessment for `make run`: last month's bulletin, generated, approved by
the demo leader and issued (its .docx downloadable), and this quarter's assessment in draft
(scored from the demo's figures, for the office to adjust), made through the app's own actions."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from qingfeng.orgs.models import Role, RoleAssignment, Unit, User
from qingfeng.reports import actions, assessments
from qingfeng.reports.models import Bulletin


def demo_lines() -> list[str]:
    office = User.objects.get(username="demo_bureau")
    leader = User.objects.get(username="demo_leader")
    root = RoleAssignment.objects.get(user=leader, role=Role.LEADER, revoked_at=None).unit
    issuer = Unit.objects.get(pk=root.pk)  # the city: the demo bureau admin works there too
    month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    bulletin = actions.check_create_bulletin(
        actor=office,
        issuer=issuer,
        month=month,
        number=f"清教作〔{month.year}〕{month.month}号",
        addressees="各县区教育局，局属各单位",
        copies_to="市纪委监委驻市教育局纪检监察组",
    )
    actions.check_approve_bulletin(bulletin, actor=leader)
    actions.check_issue_bulletin(bulletin, actor=office)
    today = timezone.localdate()
    quarter = f"{today.year}-Q{(today.month - 1) // 3 + 1}"
    assessment = assessments.check_create_assessment(actor=office, issuer=issuer, quarter=quarter)
    return [
        f"已印发演示通报“{bulletin.title}” / issued the demo monthly bulletin",
        f"{quarter} 季度考评草稿（{assessment.scores.count()} 个单位）/ the quarter's assessment "
        "in draft",
    ]


def has_bulletins() -> bool:
    return Bulletin.objects.exists()
