"""Input validation only: the actions decide."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from qingfeng.campaigns.models import Activity, Project, Rule, Task
from qingfeng.core import registry
from qingfeng.orgs.models import Person, Unit


class TaskForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=Task.Kind.choices)
    title = forms.CharField(label=_("任务"), max_length=100)
    requirement = forms.CharField(label=_("要求"), widget=forms.Textarea(attrs={"rows": 3}))
    categories = forms.MultipleChoiceField(
        label=_("单位类别（不选为全部）"),
        choices=Unit.Category.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    stages = forms.MultipleChoiceField(
        label=_("学段（不选为全部）"),
        choices=[c for c in Unit.Stage.choices if c[0]],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    post_types = forms.MultipleChoiceField(
        label=_("人员岗位要求（不选为全部）"),
        choices=Person.PostType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    due_workdays = forms.IntegerField(label=_("完成时限（工作日）"), min_value=1, max_value=250)
    evidence = forms.ChoiceField(
        label=_("完成依据"),
        help_text=_("系统中已有的记录能说明完成的，选该记录；只有系统无法体现时才要求上传"),
    )
    evidence_target = forms.IntegerField(
        label=_("须达到次数（按学习举行次数判定时）"),
        min_value=1,
        max_value=99,
        initial=1,
        required=False,
    )
    project = forms.ModelChoiceField(
        label=_("所属项目"), queryset=Project.objects.none(), required=False
    )

    def __init__(self, *args: Any, projects: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects  # type: ignore[attr-defined]
        self.fields["evidence"].choices = evidence_choices()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        """`evidence` as chosen ("session:code") split into the evidence and its option."""
        data = super().clean() or {}
        chosen = data.get("evidence") or ""
        data["evidence"], _sep, data["evidence_option"] = chosen.partition(":")
        data["evidence_target"] = data.get("evidence_target") or 1
        return data


def evidence_choices() -> list[tuple[str, Any]]:
    """The campaign's own evidence, then each registered one with each of its options (an app
    not installed offers none)."""
    choices: list[tuple[str, Any]] = [(str(value), label) for value, label in Task.Evidence.choices]
    for found in registry.task_evidence():
        options = found.options()
        if not options:
            choices.append((found.key, found.label))
        for value, label in options:
            choices.append((f"{found.key}:{value}", f"{found.label}：{label}"))
    return choices


class NoteForm(forms.Form):
    note = forms.CharField(label=_("完成情况"), max_length=200)


class PlanForm(forms.Form):
    points = forms.CharField(label=_("方案要点"), widget=forms.Textarea(attrs={"rows": 6}))
    file = forms.FileField(
        label=_("实施方案文件（Word .docx 或 PDF，20 MB 以内，可不传）"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".docx,.pdf"}),
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", _("批准")), ("return", _("退回"))], widget=forms.HiddenInput
    )
    reason = forms.CharField(label=_("意见"), max_length=500, required=False)


class ReportForm(forms.Form):
    """The figures as the system has them, each with a correction and its reason."""

    narrative = forms.CharField(
        label=_("本周工作进展"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    next_week = forms.CharField(
        label=_("下周工作重点"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, figures: dict[str, int], labels: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.figure_keys = list(figures)
        self.system = dict(figures)
        for key, value in figures.items():
            self.fields[f"v_{key}"] = forms.IntegerField(
                label=labels.get(key, key), initial=value, min_value=0, required=False
            )
            self.fields[f"r_{key}"] = forms.CharField(max_length=200, required=False)

    def corrections(self) -> dict[str, tuple[int, str]]:
        data = self.cleaned_data
        return {
            key: (data[f"v_{key}"], data[f"r_{key}"])
            for key in self.figure_keys
            if data.get(f"v_{key}") is not None
        }

    def rows(self) -> list[tuple[Any, Any, int]]:
        """(the figure's field, its reason's field, what the system says)."""
        return [(self[f"v_{k}"], self[f"r_{k}"], self.system[k]) for k in self.figure_keys]


class FileForm(forms.Form):
    file = forms.FileField(label=_("文件（PDF、DOCX、XLSX、JPG、PNG，20 MB 以内）"))


class Styled(forms.Form):
    """A register's form, drawn with the page's look (Tabler's form-control / form-select)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)


class MeetingForm(Styled):
    title = forms.CharField(label=_("会议名称"), max_length=100)
    held_on = forms.DateField(label=_("召开日期"), widget=forms.DateInput(attrs={"type": "date"}))
    attendees = forms.CharField(
        label=_("参会人员"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
    summary = forms.CharField(
        label=_("会议纪要"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class ItemForm(forms.Form):
    text = forms.CharField(label=_("议定事项"), max_length=200, required=False)
    unit = forms.ModelChoiceField(label=_("责任单位"), queryset=Unit.objects.none(), required=False)
    due_on = forms.DateField(
        label=_("完成时限"), widget=forms.DateInput(attrs={"type": "date"}), required=False
    )


class RuleForm(Styled):
    title = forms.CharField(label=_("制度名称"), max_length=100)
    kind = forms.ChoiceField(label=_("类型"), choices=Rule.Kind.choices)
    adopted_on = forms.DateField(
        label=_("印发日期"), widget=forms.DateInput(attrs={"type": "date"})
    )
    answers = forms.CharField(
        label=_("针对的问题"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    problems = forms.CharField(
        label=_("台账问题编号"),
        required=False,
        max_length=1000,
        help_text=_("该制度针对的台账问题，多个编号用逗号、顿号或空格分开"),
    )
    file = forms.FileField(label=_("制度文本（PDF、DOCX）"), required=False)

    def clean_problems(self) -> list[str]:
        text = self.cleaned_data.get("problems") or ""
        return [n for n in re.split(r"[\s,，、;；]+", text) if n]


class RuleLinkForm(forms.Form):
    problems = forms.CharField(label=_("台账问题编号"), max_length=1000)

    def clean_problems(self) -> list[str]:
        text = self.cleaned_data.get("problems") or ""
        return [n for n in re.split(r"[\s,，、;；]+", text) if n]


def _day(*, required: bool = True, **kwargs: Any) -> forms.DateField:
    return forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), required=required, **kwargs
    )


def _time(**kwargs: Any) -> forms.TimeField:
    return forms.TimeField(widget=forms.TimeInput(attrs={"type": "time"}), required=False, **kwargs)


class ActivityForm(Styled):
    """An activity already held, recorded afterwards."""

    kind = forms.ChoiceField(label=_("活动"), choices=Activity.Kind.choices)
    held_on = _day(label=_("日期"))
    ends_on = _day(label=_("结束日期（多日活动）"), required=False)
    place = forms.CharField(label=_("地点"), max_length=100)
    cadre = forms.CharField(label=_("接待人或参加人"), max_length=50)
    found = forms.CharField(
        label=_("发现的问题和群众诉求"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class PlanActivityForm(Styled):
    """An activity announced ahead: a reception day or an open week becomes a public notice."""

    kind = forms.ChoiceField(label=_("活动"), choices=Activity.Kind.choices)
    held_on = _day(label=_("日期"))
    ends_on = _day(label=_("结束日期（开放周等多日活动）"), required=False)
    starts_at = _time(label=_("开始时间"))
    ends_at = _time(label=_("结束时间"))
    place = forms.CharField(label=_("地点"), max_length=100)
    cadre = forms.CharField(
        label=_("接待人或参加人"),
        max_length=50,
        help_text=_("如：校长 孙立平、党支部书记 何静"),
    )
    how_to_come = forms.CharField(
        label=_("参加方式"),
        max_length=120,
        required=False,
        help_text=_("公告中告诉群众如何参加，如：无需预约，到校门口登记后由值班老师引导"),
    )
    contact = forms.CharField(label=_("咨询电话"), max_length=30, required=False)


class HoldActivityForm(Styled):
    found = forms.CharField(
        label=_("发现的问题和群众诉求"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class CancelActivityForm(Styled):
    reason = forms.CharField(label=_("取消原因（将在公告中显示）"), max_length=200)


class MatterForm(Styled):
    """A matter raised at the activity, to be filed as a ticket of the channel."""

    kind = forms.ChoiceField(
        label=_("类型"),
        choices=[
            ("complaint", _("投诉")),
            ("suggestion", _("意见建议")),
            ("report", _("举报")),
        ],
    )
    category = forms.TypedChoiceField(label=_("反映类别"), coerce=int, choices=())
    title = forms.CharField(label=_("事项"), max_length=100)
    text = forms.CharField(
        label=_("具体内容"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        help_text=_("记录群众原话要点，不写反映人姓名和电话；办理进度凭回执码查询。"),
    )

    def __init__(self, *args: Any, categories: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = categories  # type: ignore[attr-defined]
