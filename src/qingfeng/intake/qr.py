"""Unit QR codes: the address they open, who may print them, and the images.

A unit's code opens `/report/u/<id>/`, which sends the phone on to the form with the unit
preset. The raw id is enough: unit ids are public already (the form's unit search, the public
progress pages), so a token would hide nothing, and a token signed with the secret key would
break every printed poster when the key is rotated. The short path keeps the code small
(bigger modules scan better from a wall) and is short enough to type from the poster.
"""

from __future__ import annotations

import io

import segno
from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse

from qingfeng.core.scope import has_role, scope_q
from qingfeng.orgs.models import Role, Unit, User

# A unit's own admin (and a county's admin for its schools), and the bureau's intake office.
POSTER_ROLES = frozenset(
    {Role.BUREAU_ADMIN.value, Role.CAMPAIGN_OFFICE.value, Role.UNIT_ADMIN.value}
)
# "M" survives a little dirt or a fold on a printed poster and keeps the code small.
ERROR_LEVEL = "m"


def can(user: User, action: str) -> bool:
    """The posters policy: "posters" (the list, the images and the PDFs of units in scope)."""
    if action != "posters":
        raise KeyError(f"unknown poster action {action!r}")
    return user.is_authenticated and has_role(user, *POSTER_ROLES)


def poster_units_visible_to(user: User) -> QuerySet[Unit]:
    """Active units inside the subtrees where the user holds a poster role."""
    return Unit.objects.filter(scope_q(user, "path", roles=POSTER_ROLES), is_active=True)


def public_base_url(request: HttpRequest) -> str:
    """QF_PUBLIC_BASE_URL, or the scheme and host of this request."""
    return settings.QF_PUBLIC_BASE_URL or request.build_absolute_uri("/").rstrip("/")


def unit_report_url(request: HttpRequest, unit: Unit) -> str:
    """The absolute address a unit's QR code opens."""
    return public_base_url(request) + reverse("report:unit", args=[unit.pk])


def make_code(url: str) -> segno.QRCode:
    return segno.make(url, error=ERROR_LEVEL, micro=False, boost_error=False)


def png_bytes(code: segno.QRCode, *, scale: int = 10) -> bytes:
    buffer = io.BytesIO()
    code.save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def svg_bytes(code: segno.QRCode) -> bytes:
    buffer = io.BytesIO()
    # unit="mm" with scale 1: one module is 1 mm, a sensible size when placed in a document.
    code.save(buffer, kind="svg", scale=1, border=4, unit="mm", xmldecl=True, svgns=True)
    return buffer.getvalue()
