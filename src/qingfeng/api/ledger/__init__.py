"""Ledger endpoints (/api/ledger/): the problems (`problems`) in the shapes of `schemas`."""

from __future__ import annotations

from qingfeng.api.ledger.problems import router

__all__ = ["router"]
