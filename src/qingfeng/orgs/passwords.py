from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from qingfeng.orgs.models import User


class CharacterClassValidator:
    """At least `min_classes` of: lower case, upper case, digits, other characters.

    "Other" is anything that is none of the first three, so Chinese characters count as
    symbols rather than as nothing.
    """

    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user: User | None = None) -> None:
        classes = [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not (c.islower() or c.isupper() or c.isdigit()) for c in password),
        ]
        if sum(classes) < self.min_classes:
            raise ValidationError(
                _("密码须至少包含小写字母、大写字母、数字、符号中的 %(n)d 类")
                % {"n": self.min_classes},
                code="password_too_simple",
            )

    def get_help_text(self) -> str:
        return _("密码须至少包含小写字母、大写字母、数字、符号中的 %(n)d 类") % {
            "n": self.min_classes
        }
