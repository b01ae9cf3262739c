"""Intake endpoints (/api/intake/): the public side (file a report, follow it by receipt code,
`public`) and the staff side (the queue, a ticket, its actions, `staff`), through the same
actions, selectors, policy and rate limits as the pages."""

from __future__ import annotations

from ninja import Router

from qingfeng.api.intake import public, staff

router = Router()
router.add_router("", public.router)
router.add_router("", staff.router)
