"""The product's navigation: what every app registered (core/registry.py), grouped in the
loop's sections and filtered by the guard of each entry's own page (modules not built yet are
absent, never placeholders)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from qingfeng.core import registry
from qingfeng.core.scope import role_names


def navigation(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    home: dict[str, Any] = {"label": _("首页"), "url": reverse("home"), "key": "home"}
    items, sections = [home], []
    for section, entries in registry.visible_menu(user):
        links = [{"label": e.label, "url": reverse(e.url_name), "key": e.key} for e in entries]
        items.extend(links)
        keys = [link["key"] for link in links]
        sections.append(
            {
                "key": section.key,
                "label": section.label,
                "mark": section.mark,
                "items": links,
                "keys": keys,
            }
        )
    active = _active_key(request.path, items)
    unread = user.notifications.filter(read_at__isnull=True).count()
    return {
        "nav": items,
        "nav_home": home,
        "nav_sections": sections,
        "nav_active": active,
        "unread_notifications": unread,
        "user_roles": sorted(role_names(user)),
    }


def _active_key(path: str, items: list[dict[str, Any]]) -> str:
    """The item whose address is the longest start of the page's: on /intake/hotline/ that is
    热线录入, not 直通车工单 as well; the home page only on itself."""
    best, best_len = "", 0
    for item in items:
        url = str(item["url"])
        matches = path == url if url == "/" else path.startswith(url)
        if matches and len(url) > best_len:
            best, best_len = str(item["key"]), len(url)
    return best
