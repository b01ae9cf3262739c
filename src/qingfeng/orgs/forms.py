from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from qingfeng.core.attachments import MB, AttachmentRules
from qingfeng.lib import filetypes
from qingfeng.orgs.models import Person, Role, Unit, User


class LoginForm(forms.Form):
    username = forms.CharField(label=_("账号"), max_length=150)
    password = forms.CharField(label=_("密码"), widget=forms.PasswordInput, strip=False)
    # The challenge an address that failed many sign-ins must also pass (orgs.signin_check).
    captcha_token = forms.CharField(required=False, max_length=1000)
    captcha_answer = forms.CharField(required=False, max_length=10)
    work_solution = forms.CharField(required=False, max_length=1000)


class TotpForm(forms.Form):
    code = forms.CharField(label=_("动态口令"), max_length=8, min_length=6)
    # The same challenge as on the sign-in page, for the same addresses (orgs.signin_check).
    captcha_token = forms.CharField(required=False, max_length=1000)
    captcha_answer = forms.CharField(required=False, max_length=10)
    work_solution = forms.CharField(required=False, max_length=1000)


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label=_("当前密码"), widget=forms.PasswordInput, strip=False)
    new_password1 = forms.CharField(label=_("新密码"), widget=forms.PasswordInput, strip=False)
    new_password2 = forms.CharField(
        label=_("再次输入新密码"), widget=forms.PasswordInput, strip=False
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields[
            "new_password1"
        ].help_text = password_validation.password_validators_help_text_html()

    def clean_old_password(self) -> str:
        old: str = self.cleaned_data["old_password"]
        if not self.user.check_password(old):
            raise forms.ValidationError(_("当前密码不正确"))
        return old

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        new1, new2 = data.get("new_password1"), data.get("new_password2")
        if new1 and new2:
            if new1 != new2:
                self.add_error("new_password2", _("两次输入的新密码不一致"))
            elif new1 == data.get("old_password"):
                self.add_error("new_password1", _("新密码不能与当前密码相同"))
            else:
                try:
                    password_validation.validate_password(new1, self.user)
                except forms.ValidationError as exc:
                    self.add_error("new_password1", exc)
        return data


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=_("令牌名称"), max_length=60)


class PeopleFilterForm(forms.Form):
    q = forms.CharField(label=_("姓名或手机号"), required=False, max_length=50)
    unit = forms.IntegerField(required=False, widget=forms.HiddenInput)
    post_type = forms.ChoiceField(
        label=_("岗位类型"), required=False, choices=[("", _("全部岗位")), *Person.PostType.choices]
    )
    party = forms.ChoiceField(
        label=_("政治面貌"),
        required=False,
        choices=[("", _("全部")), ("1", _("中共党员")), ("0", _("非党员"))],
    )
    active = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("1", _("在岗")), ("0", _("已离岗")), ("", _("全部"))],
    )


class UnitSearchForm(forms.Form):
    q = forms.CharField(label=_("单位名称、简称或编码"), required=False, max_length=50)
    kind = forms.ChoiceField(
        label=_("单位类型"), required=False, choices=[("", _("全部类型")), *Unit.Kind.choices]
    )


ROSTER_FILE = AttachmentRules(
    types=(filetypes.XLSX,),
    max_bytes=20 * MB,
    unsupported=_("请上传 .xlsx 格式的 Excel 文件"),
    too_large=_("文件不能超过 20 MB"),
    mismatch=_("文件内容不是有效的 Excel 工作簿"),
)


class RosterImportForm(forms.Form):
    file = forms.FileField(label=_("花名册文件（.xlsx）"))

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        ROSTER_FILE.check(upload)
        return upload


class AccountFilterForm(forms.Form):
    q = forms.CharField(label=_("账号或姓名"), required=False, max_length=50)
    role = forms.ChoiceField(
        label=_("角色"), required=False, choices=[("", _("全部角色")), *Role.choices]
    )
    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部")), ("active", _("启用")), ("disabled", _("停用"))],
    )


class AccountCreateForm(forms.Form):
    person = forms.IntegerField(label=_("人员"), widget=forms.HiddenInput)
    username = forms.RegexField(
        label=_("登录账号"),
        regex=r"^[A-Za-z0-9_.@-]{3,150}$",
        error_messages={"invalid": _("账号只能包含字母、数字和 _ . @ -，长度 3 至 150")},
    )

    def clean_username(self) -> str:
        username: str = self.cleaned_data["username"].strip()
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("该账号已被使用"))
        return username


class RoleGrantForm(forms.Form):
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices)
    unit_code = forms.CharField(label=_("管辖单位编码"), max_length=32)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=200)
