"""The worker imports each app's `tasks` module; importing the actions registers the intake
job handlers (`intake.after_submit`, `intake.after_followup`) in the worker process too."""

from __future__ import annotations

from qingfeng.intake import actions  # noqa: F401
