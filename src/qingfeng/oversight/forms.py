"""Input validation only; the actions hold the rules."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from qingfeng.core.attachments import MultipleFileField
from qingfeng.orgs.models import Unit, User
from qingfeng.oversight.models import (
    CHECKLIST,
    Draw,
    Group,
    LiaisonLog,
    Observer,
    ReceptionMember,
    Round,
    RoundFinding,
    Visit,
)

CHECKLIST_CHOICES = [(k, v) for k, v in CHECKLIST.items()]
STAGE_CHOICES = Unit.Stage.choices[1:]


class Styled(forms.Form):
    """Tabler's classes on every widget (the templates render widgets as they are)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(
                widget, forms.CheckboxSelectMultiple | forms.RadioSelect | forms.CheckboxInput
            ):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            elif not isinstance(widget, forms.FileInput):
                widget.attrs.setdefault("class", "form-control")


class UserChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj)


class UsersChoice(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, obj: Any) -> str:
        return str(obj)


class GroupForm(Styled):
    name = forms.CharField(label=_("督导组名称"), max_length=100)
    leader = UserChoice(label=_("组长"), queryset=User.objects.none())
    members = UsersChoice(label=_("组员"), queryset=User.objects.none(), required=False)
    regions = forms.ModelMultipleChoiceField(
        label=_("督导区域"), queryset=Unit.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    stages = forms.MultipleChoiceField(
        label=_("督导学段"),
        choices=STAGE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, people: QuerySet[User], regions: QuerySet[Unit], **kw: Any):
        super().__init__(*args, **kw)
        self.fields["leader"].queryset = people  # type: ignore[attr-defined]
        self.fields["members"].queryset = people  # type: ignore[attr-defined]
        self.fields["regions"].queryset = regions  # type: ignore[attr-defined]


class PostingForm(Styled):
    supervisor = UserChoice(label=_("责任督学"), queryset=User.objects.none())
    school = forms.ModelChoiceField(label=_("学校"), queryset=Unit.objects.none())

    def __init__(self, *args: Any, people: QuerySet[User], schools: QuerySet[Unit], **kw: Any):
        super().__init__(*args, **kw)
        self.fields["supervisor"].queryset = people  # type: ignore[attr-defined]
        self.fields["school"].queryset = schools  # type: ignore[attr-defined]


class VisitForm(Styled):
    unit = forms.ModelChoiceField(label=_("督导对象（提交后密封）"), queryset=Unit.objects.none())
    planned_start = forms.DateTimeField(
        label=_("计划开始时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    team = UsersChoice(label=_("督导人员"), queryset=User.objects.none())
    checklist_items = forms.MultipleChoiceField(
        label=_("检查项目"), choices=CHECKLIST_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    reveal_minutes = forms.IntegerField(label=_("提前解封（分钟）"), initial=30, min_value=0)
    deadline_workdays = forms.IntegerField(label=_("整改时限（工作日）"), initial=10, min_value=1)

    def __init__(self, *args: Any, people: QuerySet[User], units: QuerySet[Unit], **kw: Any):
        super().__init__(*args, **kw)
        self.fields["team"].queryset = people  # type: ignore[attr-defined]
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]


class RecordForm(Styled):
    met = forms.CharField(label=_("见面人员"), required=False, widget=forms.Textarea({"rows": 2}))
    summary = forms.CharField(
        label=_("督导情况"), required=False, widget=forms.Textarea({"rows": 3})
    )

    def __init__(self, *args: Any, items: list[str], **kw: Any) -> None:
        super().__init__(*args, **kw)
        choices = [("ok", _("无问题")), ("problem", _("有问题")), ("na", _("未检查"))]
        for item in items:
            self.fields[f"check_{item}"] = forms.ChoiceField(
                label=CHECKLIST.get(item, item),
                choices=choices,
                initial="na",
                widget=forms.RadioSelect,
            )

    def checklist(self) -> dict[str, str]:
        return {k[6:]: v for k, v in self.cleaned_data.items() if k.startswith("check_")}


class FindingForm(Styled):
    item = forms.ChoiceField(label=_("检查项目"), choices=())
    text = forms.CharField(label=_("发现的问题"), widget=forms.Textarea({"rows": 3}))
    fixed_on_spot = forms.BooleanField(label=_("已立行立改（现场整改并核实）"), required=False)
    fix_note = forms.CharField(
        label=_("现场整改情况"), required=False, widget=forms.Textarea({"rows": 2})
    )
    photos = MultipleFileField(label=_("照片"), required=False)

    def __init__(self, *args: Any, items: list[str], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["item"].choices = [(i, CHECKLIST.get(i, i)) for i in items]  # type: ignore[attr-defined]


class CancelForm(Styled):
    reason = forms.CharField(label=_("取消原因"), max_length=200)


class DrawForm(Styled):
    name = forms.CharField(label=_("抽取名称"), max_length=100)
    purpose = forms.ChoiceField(label=_("用途"), choices=Draw.Purpose.choices)
    count = forms.IntegerField(label=_("抽取数量"), required=False, min_value=1)
    percent = forms.IntegerField(
        label=_("或抽取比例（%）"), required=False, min_value=1, max_value=100
    )
    stratify = forms.BooleanField(label=_("按县区×学段分层"), required=False)
    per_stratum = forms.BooleanField(
        label=_("每层各抽上述数量或比例（不选则按各层单位数分配总数）"), required=False
    )
    weighted = forms.BooleanField(
        label=_("按风险加权（红灯问题、投诉、评议未达标）"), required=False
    )
    inspectors_per_target = forms.IntegerField(
        label=_("每个对象抽取督导人员"), initial=2, min_value=0, max_value=10
    )
    counties = forms.ModelMultipleChoiceField(
        label=_("县区"),
        queryset=Unit.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    stages = forms.MultipleChoiceField(
        label=_("学段"),
        choices=STAGE_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    exclude_visited_months = forms.IntegerField(
        label=_("排除近几个月内已督导的单位"), initial=0, min_value=0, max_value=36
    )
    value_note = forms.CharField(
        label=_("约定的公开随机数来源"),
        max_length=200,
        help_text=_("承诺公布后才产生的公开数值，如下一期福利彩票开奖号码、某日股指收盘点位"),
    )

    def __init__(self, *args: Any, counties: QuerySet[Unit], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["counties"].queryset = counties  # type: ignore[attr-defined]

    def action_kwargs(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "name": d["name"],
            "purpose": d["purpose"],
            "count": d["count"],
            "percent": d["percent"],
            "stratify": d["stratify"],
            "per_stratum": d["per_stratum"],
            "weighted": d["weighted"],
            "inspectors_per_target": d["inspectors_per_target"],
            "counties": [c.pk for c in d["counties"]],
            "stages": d["stages"],
            "exclude_visited_months": d["exclude_visited_months"] or 0,
            "value_note": d["value_note"],
        }


class ValueForm(Styled):
    value = forms.CharField(label=_("公开随机数"), max_length=100)
    source = forms.CharField(label=_("来源（期号、日期）"), max_length=200)


class PlanFromDrawForm(Styled):
    group = forms.ModelChoiceField(label=_("督导组"), queryset=Group.objects.none())
    planned_start = forms.DateTimeField(
        label=_("计划开始时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    checklist_items = forms.MultipleChoiceField(
        label=_("检查项目"), choices=CHECKLIST_CHOICES, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, groups: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["group"].queryset = groups  # type: ignore[attr-defined]


class LiaisonForm(Styled):
    unit = forms.ModelChoiceField(label=_("单位"), queryset=Unit.objects.none())
    kind = forms.ChoiceField(label=_("方式"), choices=LiaisonLog.Kind.choices)
    happened_on = forms.DateField(label=_("日期"), widget=forms.DateInput(attrs={"type": "date"}))
    notes = forms.CharField(label=_("情况记录"), widget=forms.Textarea({"rows": 3}))
    follow_up = forms.CharField(
        label=_("跟进事项"), required=False, widget=forms.Textarea({"rows": 2})
    )

    def __init__(self, *args: Any, units: QuerySet[Unit], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]


class RoundForm(Styled):
    name = forms.CharField(label=_("巡察名称"), max_length=100)
    mandate = forms.CharField(label=_("巡察任务"), widget=forms.Textarea({"rows": 3}))
    starts_on = forms.DateField(label=_("进驻日期"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("结束日期"), widget=forms.DateInput(attrs={"type": "date"}))
    duty_phone = forms.CharField(label=_("值班电话"), max_length=30)
    postbox = forms.CharField(label=_("意见箱地址"), max_length=100)
    rectification_months = forms.IntegerField(
        label=_("整改报告期限（月）"), initial=2, min_value=1, max_value=12
    )
    targets = forms.ModelMultipleChoiceField(
        label=_("定点巡察单位"), queryset=Unit.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, units: QuerySet[Unit], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["targets"].queryset = units  # type: ignore[attr-defined]


class TeamForm(Styled):
    leader = UserChoice(label=_("组长"), queryset=User.objects.none())
    deputies = UsersChoice(label=_("副组长（1–2 人）"), queryset=User.objects.none())
    members = UsersChoice(label=_("组员"), queryset=User.objects.none(), required=False)

    def __init__(self, *args: Any, people: QuerySet[User], **kw: Any) -> None:
        super().__init__(*args, **kw)
        for name in ("leader", "deputies", "members"):
            self.fields[name].queryset = people  # type: ignore[attr-defined]


class DeclarationForm(Styled):
    text = forms.CharField(
        label=_("回避声明"),
        widget=forms.Textarea({"rows": 2}),
        initial=_("本人与本轮巡察对象无亲属关系、任职经历和利害关系；如有，已在下方列明。"),
    )
    conflicts = forms.ModelMultipleChoiceField(
        label=_("须回避的单位"), queryset=Unit.objects.none(), required=False
    )

    def __init__(self, *args: Any, units: QuerySet[Unit], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["conflicts"].queryset = units  # type: ignore[attr-defined]


class RequestForm(Styled):
    unit = forms.ModelChoiceField(label=_("单位"), queryset=Unit.objects.none())
    what = forms.CharField(label=_("调阅内容"), widget=forms.Textarea({"rows": 2}))
    due_on = forms.DateField(label=_("提供期限"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, units: QuerySet[Unit], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]


class AnswerForm(Styled):
    response = forms.CharField(label=_("提供情况"), widget=forms.Textarea({"rows": 2}))
    documents = MultipleFileField(label=_("资料文件"), required=False)


class InterviewForm(Styled):
    person = forms.CharField(label=_("谈话对象"), max_length=100)
    scheduled_at = forms.DateTimeField(
        label=_("谈话时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    notes = forms.CharField(
        label=_("谈话记录（仅巡察组可见）"), required=False, widget=forms.Textarea({"rows": 2})
    )


class ReceptionForm(Styled):
    unit = forms.ModelChoiceField(label=_("单位"), queryset=Unit.objects.none())
    name = forms.CharField(label=_("姓名"), max_length=50)
    position = forms.CharField(label=_("职务"), max_length=50, required=False)
    role = forms.ChoiceField(label=_("小组职务"), choices=ReceptionMember.Role.choices)

    def __init__(self, *args: Any, units: QuerySet[Unit], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]


class SelfCheckForm(Styled):
    unit = forms.ModelChoiceField(label=_("单位"), queryset=Unit.objects.none())
    text = forms.CharField(label=_("自查发现的问题"), widget=forms.Textarea({"rows": 2}))
    fix_note = forms.CharField(label=_("即知即改情况"), widget=forms.Textarea({"rows": 2}))

    def __init__(self, *args: Any, units: QuerySet[Unit], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]


class RoundFindingForm(Styled):
    unit = forms.ModelChoiceField(label=_("单位"), queryset=Unit.objects.none())
    text = forms.CharField(label=_("巡察发现的问题"), widget=forms.Textarea({"rows": 2}))
    audience = forms.ChoiceField(label=_("反馈对象"), choices=RoundFinding.Audience.choices)

    def __init__(self, *args: Any, units: QuerySet[Unit], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]


class LinkDrawForm(Styled):
    draw = forms.ModelChoiceField(label=_("随机抽查（已抽取）"), queryset=Draw.objects.none())

    def __init__(self, *args: Any, draws: QuerySet[Draw], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["draw"].queryset = draws  # type: ignore[attr-defined]


class ReviewDrawForm(Styled):
    percent = forms.IntegerField(label=_("抽取比例（%）"), initial=20, min_value=1, max_value=100)
    value_note = forms.CharField(label=_("约定的公开随机数来源"), max_length=200)


class ObserverForm(Styled):
    user = UserChoice(label=_("观察员账号"), queryset=User.objects.none())
    area = forms.ModelChoiceField(label=_("观察区域"), queryset=Unit.objects.none())
    kind = forms.ChoiceField(label=_("身份"), choices=Observer.Kind.choices)
    affiliation = forms.CharField(label=_("工作单位及职务"), max_length=100, required=False)

    def __init__(self, *args: Any, users: QuerySet[User], areas: QuerySet[Unit], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["user"].queryset = users  # type: ignore[attr-defined]
        self.fields["area"].queryset = areas  # type: ignore[attr-defined]


class InviteForm(Styled):
    observer = forms.ModelChoiceField(label=_("观察员"), queryset=Observer.objects.none())
    visit = forms.ModelChoiceField(
        label=_("督导（已开始）"), queryset=Visit.objects.none(), required=False
    )
    round = forms.ModelChoiceField(label=_("巡察"), queryset=Round.objects.none(), required=False)
    note = forms.CharField(label=_("活动说明"), max_length=200, required=False)

    def __init__(
        self,
        *args: Any,
        observers: QuerySet[Observer],
        visits: QuerySet[Visit],
        rounds: QuerySet[Round],
        **kw: Any,
    ) -> None:
        super().__init__(*args, **kw)
        self.fields["observer"].queryset = observers  # type: ignore[attr-defined]
        self.fields["visit"].queryset = visits  # type: ignore[attr-defined]
        self.fields["round"].queryset = rounds  # type: ignore[attr-defined]


class SuggestionForm(Styled):
    unit = forms.ModelChoiceField(label=_("涉及单位"), queryset=Unit.objects.none())
    category = forms.TypedChoiceField(label=_("类别"), coerce=int)
    title = forms.CharField(label=_("标题"), max_length=100)
    text = forms.CharField(label=_("具体内容"), widget=forms.Textarea(attrs={"rows": 4}))
    # One per rendering of the form: the same form sent twice (a double click, a resend after
    # a lost answer) files one ticket.
    idempotency_key = forms.CharField(max_length=40, widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, units: QuerySet[Unit], categories: list[tuple[int, str]], **kw: Any
    ) -> None:
        kw.setdefault("initial", {"idempotency_key": uuid.uuid4().hex})
        super().__init__(*args, **kw)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["category"].choices = categories  # type: ignore[attr-defined]
