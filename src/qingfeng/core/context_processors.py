"""The product's navigation: what every app registered (core/registry.py), grouped in the
loop's sections and filtered by the guard of each entry's own page (modules not built yet are
absent, never placeholders).

Worked out only when a template reads it: a context processor runs for every template
rendered with the request, and the rows an htmx "load more" fetches show no menu. The guards,
the addresses and the count of unread notifications (a query) cost ~2 ms a request (issue 12).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject, cached_property
from django.utils.translation import gettext_lazy as _

from qingfeng.core import registry


def navigation(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    menu = _Menu(request, user)
    return {
        "nav": SimpleLazyObject(lambda: menu.items),
        "nav_home": SimpleLazyObject(lambda: menu.home),
        "nav_sections": SimpleLazyObject(lambda: menu.sections),
        "nav_active": SimpleLazyObject(lambda: menu.active),
        "unread_notifications": SimpleLazyObject(
            lambda: user.notifications.filter(read_at__isnull=True).count()
        ),
    }


class _Menu:
    """The menu of one request, worked out on first use."""

    def __init__(self, request: HttpRequest, user: Any) -> None:
        self.request = request
        self.user = user

    @cached_property
    def home(self) -> dict[str, Any]:
        return {"label": _("首页"), "url": reverse("home"), "key": "home"}

    @cached_property
    def _built(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        items, sections = [self.home], []
        for section, entries in registry.visible_menu(self.user):
            links = [{"label": e.label, "url": reverse(e.url_name), "key": e.key} for e in entries]
            items.extend(links)
            sections.append(
                {
                    "key": section.key,
                    "label": section.label,
                    "mark": section.mark,
                    "items": links,
                    "keys": [link["key"] for link in links],
                }
            )
        return items, sections

    @property
    def items(self) -> list[dict[str, Any]]:
        return self._built[0]

    @property
    def sections(self) -> list[dict[str, Any]]:
        return self._built[1]

    @cached_property
    def active(self) -> str:
        return _active_key(self.request.path, self.items)


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
