"""Forms of the staff pages (the public forms are in forms.py). They only parse and validate
input; the rules of the life cycle are in actions/handling.py."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from qingfeng.intake.actions import submission_errors
from qingfeng.intake.actions.handling import ASSIGN_REASON_MAX, ENTRY_CHANNELS
from qingfeng.intake.figures import FIGURES
from qingfeng.intake.forms import UNIT_REQUIRED, exact_unit
from qingfeng.intake.models import Ticket, TicketCategory
from qingfeng.ledger.models import Category, Problem
from qingfeng.orgs.models import Unit, User

LIGHTS = [("", _("全部预警")), ("red", _("红灯")), ("yellow", _("黄灯")), ("green", _("绿灯"))]


class QueueFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=100)
    status = forms.ChoiceField(
        required=False,
        choices=[("", _("在办工单")), ("all", _("全部状态")), *Ticket.Status.choices],
    )
    light = forms.ChoiceField(required=False, choices=LIGHTS)
    category = forms.ModelChoiceField(
        required=False, queryset=TicketCategory.objects.all(), empty_label=_("全部类别")
    )
    kind = forms.ChoiceField(required=False, choices=[("", _("全部类型")), *Ticket.Kind.choices])
    channel = forms.ChoiceField(
        required=False, choices=[("", _("全部渠道")), *Ticket.Channel.choices]
    )
    unit = forms.IntegerField(required=False, min_value=1)
    # The records behind a dashboard number (intake/figures.py `narrow`).
    figure = forms.ChoiceField(
        required=False,
        choices=[("", "")] + [(f.key, f.label) for f in FIGURES if f.listed],
        widget=forms.HiddenInput,
    )
    period_from = forms.DateField(required=False, widget=forms.HiddenInput)
    period_to = forms.DateField(required=False, widget=forms.HiddenInput)
    # With `unit`: that unit's own tickets only (the dashboard's own row of a unit).
    own = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("figure") and not (data.get("period_from") and data.get("period_to")):
            self.add_error("figure", _("统计数字须带统计期间"))
        return data


class AssignForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("承办单位"), queryset=Unit.objects.none())
    handler = forms.ModelChoiceField(
        label=_("承办人（可不指定）"), queryset=User.objects.none(), required=False
    )
    note = forms.CharField(label=_("转办要求（内部）"), required=False, max_length=1000)
    # Required by the action when a 举报 goes to the unit it reports on (or inside it).
    reason = forms.CharField(
        label=_("转办给被举报单位的理由"), required=False, max_length=ASSIGN_REASON_MAX
    )

    def __init__(
        self, *args: Any, units: QuerySet[Unit], handlers: QuerySet[User], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["handler"].queryset = handlers  # type: ignore[attr-defined]


class TextForm(forms.Form):
    text = forms.CharField(max_length=5000)


class MergeForm(forms.Form):
    master = forms.CharField(label=_("主件工单编号"), max_length=20)


class RevealForm(forms.Form):
    reason = forms.CharField(label=_("查看原因"), max_length=200)


class ToProblemForm(forms.Form):
    category = forms.ModelChoiceField(
        label=_("问题类别"), queryset=Category.objects.filter(is_active=True)
    )
    list_kind = forms.ChoiceField(
        label=_("清单"), choices=Problem.ListKind.choices, initial=Problem.ListKind.DEPARTMENT_RISK
    )


class HotlineForm(forms.Form):
    """热线录入. The unit is picked through the public form's unit search, narrowed to the units
    the operator may enter calls about (`units`); a unit outside them is refused."""

    channel = forms.ChoiceField(
        label=_("渠道"),
        choices=[(c.value, c.label) for c in ENTRY_CHANNELS],
        initial=Ticket.Channel.PHONE,
        error_messages={"invalid_choice": _("请选择来电、来信或来访")},
    )
    kind = forms.ChoiceField(
        label=_("类型"),
        choices=Ticket.Kind.choices,
        error_messages={"required": _("请选择反映类型"), "invalid_choice": _("请选择反映类型")},
    )
    category = forms.ModelChoiceField(
        label=_("类别"),
        queryset=TicketCategory.objects.filter(is_active=True),
        empty_label=_("请选择类别"),
        error_messages={"required": _("请选择反映类别"), "invalid_choice": _("请选择反映类别")},
    )
    unit = forms.ModelChoiceField(
        label=_("反映对象单位"),
        queryset=Unit.objects.none(),
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("该单位不在您的录入范围内，请从搜索结果中选择")},
    )
    unit_q = forms.CharField(label=_("搜索单位"), required=False, max_length=50)
    title = forms.CharField(label=_("标题"), max_length=100)
    content = forms.CharField(label=_("反映内容"), max_length=5000, widget=forms.Textarea)
    occurred = forms.CharField(label=_("发生时间"), max_length=50, required=False)
    named_person = forms.CharField(label=_("被反映人"), max_length=100, required=False)
    anonymous = forms.BooleanField(label=_("匿名"), required=False)
    reporter_name = forms.CharField(label=_("来电人姓名"), max_length=50, required=False)
    reporter_phone = forms.CharField(label=_("来电号码"), max_length=20, required=False)

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.units = units.filter(is_active=True)
        self.fields["unit"].queryset = self.units  # type: ignore[attr-defined]
        self.fields["title"].error_messages["required"] = _("请填写标题")
        self.fields["content"].error_messages["required"] = _("请填写反映内容")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        typed = data.get("unit_q", "").strip()
        if data.get("unit") is None and "unit" not in self.errors and typed:
            data["unit"] = exact_unit(typed, within=self.units)
            if data["unit"] is None:
                self.add_error("unit", _("未找到“%(q)s”，请从搜索结果中选择单位") % {"q": typed})
        if (
            data.get("unit") is None
            and data.get("kind") in UNIT_REQUIRED
            and "unit" not in self.errors
        ):
            self.add_error("unit", _("投诉、举报须选择所反映的单位"))
        return data

    def add_rule_errors(self) -> None:
        """When some fields did not parse, the submission rules still judge the others, so
        the operator fixes everything in one round."""
        data = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        found = submission_errors(
            **{k: v for k, v in data.items() if k != "unit_q" and v is not None}
        )
        for name, messages in found.items():
            if name in self.fields and name not in self.errors:
                self.add_error(name, messages)

    def action_kwargs(self) -> dict[str, Any]:
        """The arguments of `handling.check_enter_call` (the search text is not one)."""
        return {k: v for k, v in self.cleaned_data.items() if k != "unit_q"}
