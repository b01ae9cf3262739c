"""Only for today's menu, which imports the posters' policy from here: the policy is
`intake.permissions.can(user, "posters")`, and the QR codes and posters are the public-form
kit's (`core.publicform`, used through `intake.publicform`). Delete this module when the
menu registry replaces core/context_processors.py.
"""

from __future__ import annotations

from qingfeng.intake.permissions import can

__all__ = ["can"]
