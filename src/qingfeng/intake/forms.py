"""The public forms: they parse what was posted; the rules live in `intake.actions`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from qingfeng.core.attachments import MultipleFileField
from qingfeng.intake.actions import COMMENT_MAX, MESSAGE_MAX, RATING_LABELS
from qingfeng.intake.models import Ticket, TicketCategory
from qingfeng.orgs.models import Unit

UNIT_REQUIRED = {Ticket.Kind.COMPLAINT, Ticket.Kind.REPORT}


def active_units() -> QuerySet[Unit]:
    return Unit.objects.filter(is_active=True)


def search_units(q: str, *, limit: int = 20, within: QuerySet[Unit] | None = None) -> list[Unit]:
    """Active units whose name, short name or alias contains the text (names only); `within`
    narrows the search (the hotline form offers only the operator's scope)."""
    q = q.strip()[:30]
    if not q:
        return []
    units = active_units() if within is None else within.filter(is_active=True)
    return list(
        units.filter(Q(name__contains=q) | Q(short_name__contains=q) | Q(aliases__contains=q))
        .select_related("parent")
        .only("name", "parent__name")
        .order_by("depth", "name")[:limit]
    )


def exact_unit(text: str, *, within: QuerySet[Unit] | None = None) -> Unit | None:
    """The one unit a typed name means (full name, short name or alias), else None."""
    text = text.strip()
    units = active_units() if within is None else within.filter(is_active=True)
    found = list(units.filter(Q(name=text) | Q(short_name=text))[:2])
    if len(found) == 1:
        return found[0]
    if not found:
        matches = [u for u in units.filter(aliases__contains=text) if text in u.alias_list()]
        if len(matches) == 1:
            return matches[0]
    return None


class SubmitForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("反映类型"), choices=Ticket.Kind.choices, widget=forms.RadioSelect
    )
    category = forms.ModelChoiceField(
        label=_("反映类别"),
        queryset=TicketCategory.objects.filter(is_active=True),
        empty_label=_("请选择类别"),
        error_messages={"required": _("请选择反映类别"), "invalid_choice": _("请选择反映类别")},
    )
    unit = forms.ModelChoiceField(
        label=_("反映对象单位"), queryset=active_units(), required=False, widget=forms.HiddenInput
    )
    unit_q = forms.CharField(label=_("搜索单位"), required=False, max_length=50)
    title = forms.CharField(label=_("标题"), max_length=200, required=False)
    content = forms.CharField(label=_("反映内容"), widget=forms.Textarea, required=False)
    occurred = forms.CharField(label=_("发生时间"), max_length=200, required=False)
    named_person = forms.CharField(label=_("被反映人（选填）"), max_length=200, required=False)
    identity = forms.ChoiceField(
        label=_("是否实名"),
        choices=[("anonymous", _("匿名反映")), ("named", _("实名反映"))],
        widget=forms.RadioSelect,
        initial="anonymous",
        error_messages={"required": _("请选择匿名或实名")},
    )
    reporter_name = forms.CharField(label=_("姓名"), max_length=200, required=False)
    reporter_phone = forms.CharField(label=_("联系电话"), max_length=40, required=False)
    attachments = MultipleFileField(label=_("附件（选填）"), required=False)
    captcha_token = forms.CharField(required=False, widget=forms.HiddenInput)
    captcha_answer = forms.CharField(label=_("验证"), max_length=10, required=False)
    work_solution = forms.CharField(required=False, max_length=1000, widget=forms.HiddenInput)
    idempotency_key = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].error_messages["required"] = _("请选择反映类型")
        self.fields["unit"].error_messages["invalid_choice"] = _("请从搜索结果中选择单位")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("unit") is None and data.get("unit_q", "").strip():
            unit = exact_unit(data["unit_q"])
            if unit is None:
                self.add_error(
                    "unit", _("未找到“%(q)s”，请从搜索结果中选择单位") % {"q": data["unit_q"]}
                )
            data["unit"] = unit
        if (
            data.get("unit") is None
            and data.get("kind") in UNIT_REQUIRED
            and "unit" not in self.errors
        ):
            self.add_error("unit", _("请选择所反映的单位"))
        return data

    def action_kwargs(self, *, partial: bool = False) -> dict[str, Any]:
        """The arguments of `check_submit_ticket`; `partial` leaves out what did not parse."""
        data = self.cleaned_data
        if partial:
            data = {k: v for k, v in data.items() if k not in self.errors}
        kwargs = {
            "kind": data.get("kind"),
            "category": data.get("category"),
            "unit": data.get("unit"),
            "title": data.get("title"),
            "content": data.get("content"),
            "occurred": data.get("occurred"),
            "named_person": data.get("named_person"),
            "anonymous": data["identity"] != "named" if "identity" in data else None,
            "reporter_name": data.get("reporter_name"),
            "reporter_phone": data.get("reporter_phone"),
            "files": data.get("attachments"),
            "idempotency_key": data.get("idempotency_key") or None,
        }
        return kwargs


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("回执码"),
        max_length=40,
        error_messages={"required": _("请输入回执码")},
    )


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("补充留言"), widget=forms.Textarea, required=False, max_length=MESSAGE_MAX
    )
    attachments = MultipleFileField(label=_("补充附件（选填）"), required=False)


class RatingForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("对办理结果的评价"),
        coerce=int,
        choices=list(RATING_LABELS.items()),
        widget=forms.RadioSelect,
        error_messages={"required": _("请选择满意度")},
    )
    comment = forms.CharField(
        label=_("评价说明"), widget=forms.Textarea, required=False, max_length=COMMENT_MAX
    )
