from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from qingfeng.ledger.figures import FIGURES
from qingfeng.ledger.models import (
    Category,
    Evidence,
    Feedback,
    OfflinePublication,
    Problem,
    Verification,
)
from qingfeng.orgs.models import Person, Unit


def _blank(label: Any) -> list[tuple[str, Any]]:
    return [("", label)]


class LedgerFilterForm(forms.Form):
    q = forms.CharField(label=_("关键词"), required=False, max_length=50)
    unit = forms.IntegerField(required=False, widget=forms.HiddenInput)
    list_kind = forms.ChoiceField(
        label=_("清单"), required=False, choices=_blank(_("全部清单")) + Problem.ListKind.choices
    )
    source = forms.ChoiceField(
        label=_("来源"), required=False, choices=_blank(_("全部来源")) + Problem.Source.choices
    )
    category = forms.ModelChoiceField(
        label=_("类别"), required=False, queryset=Category.objects.all(), empty_label=_("全部类别")
    )
    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=_blank(_("全部状态（不含已撤回）")) + Problem.Status.choices,
    )
    light = forms.ChoiceField(
        label=_("预警"),
        required=False,
        choices=[
            ("", _("全部预警")),
            ("red", _("红灯")),
            ("yellow", _("黄灯")),
            ("green", _("绿灯")),
        ],
    )
    deadline_from = forms.DateField(label=_("时限起"), required=False)
    deadline_to = forms.DateField(label=_("时限止"), required=False)
    responsible = forms.CharField(label=_("责任人"), required=False, max_length=50)
    # The records behind a dashboard number (ledger/figures.py `narrow`): hidden fields.
    figure = forms.ChoiceField(
        required=False,
        choices=[("", "")] + [(f.key, f.label) for f in FIGURES if f.listed],
        widget=forms.HiddenInput,
    )
    period_from = forms.DateField(required=False, widget=forms.HiddenInput)
    period_to = forms.DateField(required=False, widget=forms.HiddenInput)
    # With `unit`: that unit's own problems only (the dashboard's own row of a unit).
    own = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("deadline_from"), data.get("deadline_to")
        if start and end and start > end:
            self.add_error("deadline_to", _("截止日期不能早于起始日期"))
        if data.get("figure") and not (data.get("period_from") and data.get("period_to")):
            self.add_error("figure", _("统计数字须带统计期间"))
        return data


class ProblemForm(forms.Form):
    list_kind = forms.ChoiceField(label=_("清单"), choices=Problem.ListKind.choices)
    source = forms.ChoiceField(label=_("问题来源"), choices=Problem.Source.choices)
    source_ref = forms.CharField(label=_("来源编号"), required=False, max_length=80)
    category = forms.ModelChoiceField(
        label=_("问题类别"), queryset=Category.objects.filter(is_active=True)
    )
    dimension = forms.ChoiceField(
        label=_("五查五看维度"), required=False, choices=_blank("—") + Problem.Dimension.choices
    )
    title = forms.CharField(label=_("问题概述"), max_length=200)
    description = forms.CharField(label=_("问题描述"), widget=forms.Textarea(attrs={"rows": 4}))
    cause = forms.CharField(
        label=_("原因分析"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    goal = forms.CharField(
        label=_("整改目标"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    measures = forms.CharField(
        label=_("整改措施"), widget=forms.Textarea(attrs={"rows": 4}), help_text=_("每行一条措施")
    )
    unit = forms.ModelChoiceField(label=_("责任单位"), queryset=Unit.objects.none())
    responsible_person = forms.ModelChoiceField(
        label=_("责任人"), required=False, queryset=Person.objects.none()
    )
    responsible_leader = forms.ModelChoiceField(
        label=_("责任领导"), required=False, queryset=Person.objects.none()
    )
    rectification_type = forms.ChoiceField(
        label=_("整改类型"), choices=Problem.RectificationType.choices
    )
    deadline = forms.DateField(label=_("整改时限（日期）"), required=False)
    deadline_workdays = forms.IntegerField(
        label=_("或：交办后工作日数"), required=False, min_value=1, max_value=250
    )
    parent = forms.ModelChoiceField(
        label=_("上级问题"), required=False, queryset=Problem.objects.none()
    )

    def __init__(self, *args: Any, units: Any, people: Any, parents: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["responsible_person"].queryset = people  # type: ignore[attr-defined]
        self.fields["responsible_leader"].queryset = people  # type: ignore[attr-defined]
        self.fields["parent"].queryset = parents  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("deadline") and data.get("deadline_workdays"):
            self.add_error("deadline_workdays", _("整改时限请填日期或工作日数，二选一"))
        return data


class ReportForm(forms.Form):
    progress = forms.IntegerField(label=_("整改进度（%）"), min_value=0, max_value=100)
    text = forms.CharField(
        label=_("进展情况"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )
    phase = forms.ChoiceField(
        label=_("材料类别"), choices=Evidence.Phase.choices, initial=Evidence.Phase.AFTER
    )


class ClosureForm(forms.Form):
    text = forms.CharField(
        label=_("整改完成情况"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )


class VerifyForm(forms.Form):
    outcome = forms.ChoiceField(label=_("审核结论"), choices=Verification.Outcome.choices)
    comment = forms.CharField(
        label=_("审核意见"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=500)


class FeedbackForm(forms.Form):
    kind = forms.ChoiceField(label=_("反馈类型"), choices=Feedback.Kind.choices)
    text = forms.CharField(
        label=_("内容"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000
    )


class DisclosureForm(forms.Form):
    public_text = forms.CharField(
        label=_("公开内容"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text=_("系统已自动隐去姓名、手机号和身份证号，请再核对一遍后公开"),
    )
    publish = forms.BooleanField(label=_("公开"), required=False)
    # Names the publisher confirms may appear on /progress/ (every other name is hidden).
    keep_names = forms.MultipleChoiceField(label=_("允许公开的姓名"), required=False, choices=())

    def __init__(self, *args: Any, names: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        keep = cast(forms.MultipleChoiceField, self.fields["keep_names"])
        keep.choices = [(n, n) for n in names]


class OfflinePublicationForm(forms.Form):
    channel = forms.ChoiceField(label=_("公开方式"), choices=OfflinePublication.Channel.choices)
    published_on = forms.DateField(label=_("公开日期"))
    summary = forms.CharField(
        label=_("公开内容摘要"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    file = forms.FileField(label=_("佐证（公示照片、会议记录等）"))


class PublicationDecisionForm(forms.Form):
    publication = forms.IntegerField()
    approve = forms.TypedChoiceField(
        choices=(("1", _("认可")), ("0", _("不认可"))), coerce=lambda v: v == "1"
    )
    comment = forms.CharField(label=_("审核意见"), required=False, max_length=2000)


class ProblemEditForm(forms.Form):
    """What may change after registration; the unit, list and source stay as registered."""

    category = forms.ModelChoiceField(
        label=_("问题类别"), queryset=Category.objects.filter(is_active=True)
    )
    dimension = forms.ChoiceField(
        label=_("五查五看维度"), required=False, choices=_blank("—") + Problem.Dimension.choices
    )
    title = forms.CharField(label=_("问题概述"), max_length=200)
    description = forms.CharField(label=_("问题描述"), widget=forms.Textarea(attrs={"rows": 4}))
    cause = forms.CharField(
        label=_("原因分析"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    goal = forms.CharField(
        label=_("整改目标"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    responsible_person = forms.ModelChoiceField(
        label=_("责任人"), required=False, queryset=Person.objects.none()
    )
    responsible_leader = forms.ModelChoiceField(
        label=_("责任领导"), required=False, queryset=Person.objects.none()
    )
    rectification_type = forms.ChoiceField(
        label=_("整改类型"), choices=Problem.RectificationType.choices
    )
    deadline = forms.DateField(label=_("整改时限（日期）"), required=False)
    deadline_reason = forms.CharField(
        label=_("整改时限变更理由"),
        required=False,
        max_length=200,
        help_text=_("已交办的问题变更整改时限时必填，记入时限变更记录"),
    )
    rules_adopted = forms.CharField(
        label=_("建章立制"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    accountability = forms.CharField(
        label=_("追责问责"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    remarks = forms.CharField(
        label=_("备注"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, people: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["responsible_person"].queryset = people  # type: ignore[attr-defined]
        self.fields["responsible_leader"].queryset = people  # type: ignore[attr-defined]
