"""The product's navigation, computed from what the user may do (modules not built yet are
absent, never placeholders)."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from qingfeng.core.scope import role_names
from qingfeng.intake.permissions import can as intake_can
from qingfeng.intake.qr import can as poster_can
from qingfeng.ledger.permissions import can as ledger_can
from qingfeng.orgs.permissions import can


def navigation(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    items: list[dict[str, object]] = [{"label": _("首页"), "url": reverse("home"), "key": "home"}]
    if ledger_can(user, "view_ledger"):
        items.append({"label": _("整改台账"), "url": reverse("ledger:list"), "key": "ledger"})
        items.append({"label": _("回头看"), "url": reverse("ledger:rechecks"), "key": "rechecks"})
    if role_names(user) - {"auditor", "system_admin"}:
        items.append({"label": _("我的整改"), "url": reverse("ledger:mine"), "key": "mine"})
    if "leader" in role_names(user) and user.liaisons.exists():
        items.append({"label": _("包片县区"), "url": reverse("ledger:liaison"), "key": "liaison"})
    if intake_can(user, "view_queue"):
        items.append({"label": _("直通车工单"), "url": reverse("intake:queue"), "key": "intake"})
    if intake_can(user, "hotline"):
        items.append({"label": _("热线录入"), "url": reverse("intake:hotline"), "key": "hotline"})
    if poster_can(user, "posters"):
        items.append({"label": _("直通车海报"), "url": reverse("intake:posters"), "key": "posters"})
    if can(user, "view_units"):
        items.append({"label": _("组织机构"), "url": reverse("orgs:units"), "key": "units"})
    if can(user, "view_people"):
        items.append({"label": _("人员名册"), "url": reverse("orgs:people"), "key": "people"})
    if can(user, "import_roster"):
        items.append(
            {"label": _("名册导入"), "url": reverse("orgs:roster_import"), "key": "roster"}
        )
    if can(user, "manage_liaisons"):
        items.append({"label": _("领导包片"), "url": reverse("orgs:liaisons"), "key": "liaisons"})
    if can(user, "manage_accounts"):
        items.append({"label": _("账号管理"), "url": reverse("orgs:accounts"), "key": "accounts"})
    items.append({"label": _("工作日历"), "url": reverse("core:calendar"), "key": "calendar"})
    if can(user, "manage_settings"):
        items.append({"label": _("系统设置"), "url": reverse("admin:index"), "key": "admin"})
    if can(user, "view_audit"):
        items.append({"label": _("审计日志"), "url": reverse("core:audit"), "key": "audit"})
    unread = user.notifications.filter(read_at__isnull=True).count()
    return {
        "nav": items,
        "nav_active": _active_key(request.path, items),
        "unread_notifications": unread,
        "user_roles": sorted(role_names(user)),
    }


def _active_key(path: str, items: list[dict[str, object]]) -> str:
    """The item whose address is the longest start of the page's: on /intake/hotline/ that is
    热线录入, not 直通车工单 as well; the home page only on itself."""
    best, best_len = "", 0
    for item in items:
        url = str(item["url"])
        matches = path == url if url == "/" else path.startswith(url)
        if matches and len(url) > best_len:
            best, best_len = str(item["key"]), len(url)
    return best
