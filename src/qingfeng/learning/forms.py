"""Input validation only; the actions hold the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from qingfeng.learning.actions import CHECKS
from qingfeng.learning.models import Case, Fulfilment, Pledge, SelfExam, SessionType
from qingfeng.orgs.models import Person

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _post_types(label: Any, help_text: Any) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label,
        choices=Person.PostType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=help_text,
    )


class SessionForm(forms.Form):
    type = forms.ModelChoiceField(
        label=_("学习类型"),
        queryset=SessionType.objects.filter(is_active=True).exclude(
            cadence=SessionType.Cadence.PER_MEETING
        ),
    )
    starts_at = forms.DateTimeField(label=_("时间"), widget=DATETIME)
    place = forms.CharField(label=_("地点"), max_length=100)
    chair = forms.CharField(label=_("主持人"), max_length=50)
    topic = forms.CharField(label=_("主题"), max_length=200)
    first_item = forms.CharField(
        label=_("第一议题"),
        max_length=200,
        required=False,
        help_text=_("党委（党组）会议、支委会的第一项议程须为学习"),
    )
    materials = forms.CharField(
        label=_("学习材料（学习清单）"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    case_numbers = forms.CharField(
        label=_("对照典型案例（案例编号）"),
        max_length=300,
        required=False,
        help_text=_("警示教育时填写案例库中的案例编号，多个用逗号分隔"),
    )
    post_types = _post_types(
        _("参加岗位"),
        _("不选则按学习类型的参加人员；选择后只通知所选岗位类型的人员（如只面向教师）"),
    )


class SessionTypeForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=50)
    cadence = forms.ChoiceField(label=_("频次"), choices=SessionType.Cadence.choices)
    minimum = forms.IntegerField(label=_("每期至少次数"), initial=1)
    audience = forms.ChoiceField(label=_("参加人员"), choices=SessionType.Audience.choices)
    post_types = _post_types(
        _("限定岗位类型"),
        _("不选则不限岗位；如“党员教师”选全体党员并勾选专任教师、党员教师"),
    )
    first_item_required = forms.BooleanField(
        label=_("须有第一议题"),
        required=False,
        help_text=_("会议举行时第一项议程须为学习，否则记为未落实"),
    )
    alert_workdays = forms.IntegerField(
        label=_("提前提醒（工作日）"),
        initial=5,
        help_text=_("本期剩余这么多个工作日仍未举行时提醒单位"),
    )
    sort_order = forms.IntegerField(label=_("排序"), initial=100, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple):
                continue  # the browser's own boxes: Tabler's need a .form-check wrapper
            if isinstance(widget, forms.Select):
                widget.attrs["class"] = "form-select"
            else:
                widget.attrs["class"] = "form-control"

    def clean_sort_order(self) -> int:
        return self.cleaned_data.get("sort_order") or 0


class HoldForm(forms.Form):
    first_item = forms.CharField(label=_("第一议题"), max_length=200, required=False)
    minutes = forms.CharField(
        label=_("内容和主要观点"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("只记录会议内容；学习情况按举行和出勤评价，不看照片和笔记"),
    )


class LeaveForm(forms.Form):
    reason = forms.CharField(label=_("请假事由"), max_length=200)


class MakeupForm(forms.Form):
    note = forms.CharField(
        label=_("自学心得"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    later_session = forms.IntegerField(required=False, widget=forms.HiddenInput)


class SelfExamForm(forms.Form):
    kind = forms.ChoiceField(label=_("自查对象"), choices=SelfExam.Kind.choices)
    title = forms.CharField(label=_("名称"), max_length=100, initial=_("五查五看自查"))
    comparisons = forms.CharField(
        label=_("三个对照"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, (check, look) in CHECKS.items():
            self.fields[f"answer_{key}"] = forms.CharField(
                label=f"{check} · {look}", widget=forms.Textarea(attrs={"rows": 2})
            )

    def answers(self) -> dict[str, str]:
        return {k: self.cleaned_data[f"answer_{k}"] for k in CHECKS}


class PledgeForm(forms.Form):
    group = forms.ChoiceField(label=_("适用人员"), choices=Pledge.Group.choices)
    year = forms.IntegerField(label=_("年度"), min_value=2020, max_value=2100)
    resign_months = forms.IntegerField(
        label=_("重签周期（月）"),
        initial=12,
        required=False,
        help_text=_("签署满这么多个月后提醒本人重新签署（12 即周年重签）"),
    )

    def clean_resign_months(self) -> int:
        value = self.cleaned_data.get("resign_months")
        return 12 if value is None else value

    title = forms.CharField(label=_("标题"), max_length=100)
    text = forms.CharField(label=_("承诺内容"), widget=forms.Textarea(attrs={"rows": 6}))


class ReportForm(forms.Form):
    text = forms.CharField(label=_("践诺情况"), widget=forms.Textarea(attrs={"rows": 3}))


class RateForm(forms.Form):
    rating = forms.ChoiceField(label=_("评诺"), choices=Fulfilment.Rating.choices)
    comment = forms.CharField(label=_("评语"), max_length=200, required=False)


class CaseForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=200)
    category = forms.ChoiceField(label=_("类别"), choices=Case.Category.choices)
    level = forms.ChoiceField(label=_("层级"), choices=Case.Level.choices)
    occurred_on = forms.DateField(
        label=_("时间"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    facts = forms.CharField(label=_("基本案情"), widget=forms.Textarea(attrs={"rows": 5}))
    rules = forms.CharField(
        label=_("违反规定"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    outcome = forms.CharField(
        label=_("处理结果"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    lessons = forms.CharField(
        label=_("警示意义"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    source_document = forms.CharField(label=_("来源文件"), max_length=200, required=False)


class CaseSearchForm(forms.Form):
    q = forms.CharField(label=_("检索"), max_length=100, required=False)
    category = forms.ChoiceField(
        label=_("类别"),
        choices=[("", _("全部类别")), *Case.Category.choices],
        required=False,
        widget=forms.Select(attrs={"class": "form-select w-auto"}),
    )
