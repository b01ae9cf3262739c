"""The sign-in page's challenge: the public-form kit's proof of work and picture sum
(`core.publicform`), asked with the password from an address that has failed many sign-ins.

Behind a proxy or a school's network every user shares one address, so a stranger guessing
names from there must not lock the right user out: past `QF_LOGIN_CHALLENGE_AFTER` failures of
the address the page asks for the challenge too, the work doubling with every further
`QF_LOGIN_CHALLENGE_AFTER` failures. A person solves it while typing; a program guessing
passwords pays the work on every guess. Its tokens and solutions are worthless on the public
forms, and theirs here (the namespace).
"""

from __future__ import annotations

from qingfeng.core.publicform.captcha import HumanCheck
from qingfeng.core.publicform.views import HumanCheckViews
from qingfeng.core.publicform.work import WorkCheck

captcha = HumanCheck(
    namespace="login", switch="QF_LOGIN_CHALLENGE", sum_switch="QF_LOGIN_SUM_CHECK"
)
work = WorkCheck(namespace="login", switch="QF_LOGIN_CHALLENGE")
CHALLENGE = HumanCheckViews(check=captcha, work=work, url_namespace="accounts")
