"""Input validation only; the actions hold the rules."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from qingfeng.core.attachments import MultipleFileField
from qingfeng.evaluation import scheme
from qingfeng.evaluation.models import DEFAULT_ITEMS, LEVELS, DisciplineReview, Response, Round
from qingfeng.orgs.models import Unit


class RoundForm(forms.Form):
    name = forms.CharField(label=_("评议名称"), max_length=100)
    starts_on = forms.DateField(label=_("开始日期"), required=False, help_text=_("不填为本季度"))
    ends_on = forms.DateField(label=_("结束日期"), required=False)
    mode = forms.ChoiceField(label=_("评议方式"), choices=Round.Mode.choices)
    kinds = forms.MultipleChoiceField(
        label=_("单位类型"),
        choices=Unit.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    categories = forms.MultipleChoiceField(
        label=_("单位类别"),
        choices=Unit.Category.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    stages = forms.MultipleChoiceField(
        label=_("学段"),
        choices=Unit.Stage.choices[1:],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    area = forms.ModelChoiceField(
        label=_("范围（县区）"),
        queryset=Unit.objects.none(),
        required=False,
        empty_label=_("全部"),
    )
    items = forms.CharField(
        label=_("评议项目"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        initial="\n".join(DEFAULT_ITEMS),
        help_text=_("每行一项"),
    )
    rate_definition = forms.ChoiceField(label=_("满意率口径"), choices=Round.RateDefinition.choices)
    weight_satisfaction = forms.IntegerField(label=_("群众满意度权重"), initial=50, min_value=0)
    weight_third_party = forms.IntegerField(label=_("第三方评估权重"), initial=30, min_value=0)
    weight_discipline = forms.IntegerField(label=_("纪委监察评鉴权重"), initial=20, min_value=0)
    min_sample = forms.IntegerField(label=_("最低样本量"), initial=30, min_value=1)
    threshold = forms.IntegerField(label=_("达标线（%）"), initial=85, min_value=50, max_value=100)
    trigger = forms.ChoiceField(label=_("回炉判定"), choices=Round.Trigger.choices)
    publish_ranking = forms.BooleanField(label=_("发布后公开分类排名"), required=False)
    indicators = forms.CharField(
        label=_("第三方评估指标体系（选填）"),
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        max_length=5000,
        help_text=_(
            "每行一项：组别｜指标｜权重｜满分（或 指标｜权重｜满分），权重之和为 100；可从表格粘贴。"
            "不填则第三方评估为各指标 0–100 分的平均值。"
        ),
    )

    def clean_indicators(self) -> list[scheme.Indicator]:
        rows, errors = scheme.parse_lines(self.cleaned_data.get("indicators", ""))
        if errors:
            raise forms.ValidationError(errors)
        return rows

    def __init__(self, *args: Any, areas: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if areas is not None:
            self.fields["area"].queryset = areas  # type: ignore[attr-defined]

    def action_kwargs(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "name": d["name"],
            "starts_on": d["starts_on"],
            "ends_on": d["ends_on"],
            "mode": d["mode"],
            "kinds": d["kinds"],
            "categories": d["categories"],
            "stages": d["stages"],
            "area": d["area"],
            "items": d["items"].splitlines(),
            "rate_definition": d["rate_definition"],
            "weights": (d["weight_satisfaction"], d["weight_third_party"], d["weight_discipline"]),
            "min_sample": d["min_sample"],
            "threshold": d["threshold"],
            "trigger": d["trigger"],
            "publish_ranking": d["publish_ranking"],
            "indicators": d["indicators"],
        }


class SchemeForm(forms.Form):
    indicators = RoundForm.base_fields["indicators"]

    clean_indicators = RoundForm.clean_indicators


LEVEL_CHOICES = [(str(v), label) for v, label in LEVELS]


class RatingForm(forms.Form):
    """The public rating: the items are the round's own (fields item_0, item_1, …)."""

    respondent_type = forms.ChoiceField(
        label=_("您的身份"),
        choices=Response.RespondentType.choices,
        error_messages={"required": _("请选择您的身份")},
    )
    overall = forms.TypedChoiceField(
        label=_("总体评价"),
        choices=LEVEL_CHOICES,
        coerce=int,
        error_messages={"required": _("请选择总体评价")},
    )
    comment = forms.CharField(label=_("意见建议（选填）"), required=False, max_length=500)
    code = forms.CharField(label=_("票码"), required=False, max_length=40)
    idempotency_key = forms.CharField(max_length=64, required=False)
    form_token = forms.CharField(max_length=300, required=False)
    captcha_token = forms.CharField(required=False)
    captcha_answer = forms.CharField(required=False, max_length=10)
    work_solution = forms.CharField(required=False, max_length=2000)

    def __init__(self, *args: Any, items: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = items
        for i, item in enumerate(items):
            self.fields[f"item_{i}"] = forms.TypedChoiceField(
                label=item, choices=LEVEL_CHOICES, coerce=int, required=False
            )

    def item_fields(self) -> list[forms.BoundField]:
        return [self[f"item_{i}"] for i in range(len(self.items))]

    def item_answers(self) -> dict[str, int | None]:
        return {
            item: self.cleaned_data.get(f"item_{i}")
            for i, item in enumerate(self.items)
            if self.cleaned_data.get(f"item_{i}") not in (None, "")
        }


class ReviewForm(forms.Form):
    status = forms.ChoiceField(
        choices=[(Response.Status.ACCEPTED, _("确认有效")), (Response.Status.EXCLUDED, _("剔除"))]
    )
    reason = forms.CharField(label=_("理由"), max_length=500)


class CodesForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("被评议单位"), queryset=Unit.objects.none())
    frame = forms.CharField(
        label=_("抽样框"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("每行一项，如班级名单：三年级（1）班"),
    )
    draw = forms.IntegerField(label=_("抽取数"), min_value=1, initial=3)
    per_entry = forms.IntegerField(label=_("每项票码数"), min_value=1, max_value=200, initial=10)
    seed = forms.CharField(label=_("随机种子（选填）"), required=False, max_length=64)

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]


class ThirdPartyForm(forms.Form):
    indicator = forms.CharField(label=_("评估指标"), max_length=100)
    score = forms.CharField(label=_("得分（0–100）"), max_length=10)
    comment = forms.CharField(
        label=_("评估说明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    evidence = MultipleFileField(
        label=_("佐证材料（选填）"),
        required=False,
        help_text=_("照片、检查记录等，JPG、PNG、PDF、DOCX、XLSX，每个不超过 20 MB，最多 6 个"),
    )

    def __init__(
        self, *args: Any, indicators: list[scheme.Indicator] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        if indicators:  # the round's scheme: pick one, its maximum in the label
            self.fields["indicator"] = forms.ChoiceField(
                label=_("评估指标"),
                choices=[(i.name, f"{i.header} · {i.weight}%") for i in indicators],
            )
            self.fields["score"].label = _("得分（不超过该指标满分）")


class DisciplineForm(forms.Form):
    rating = forms.ChoiceField(label=_("评鉴等次"), choices=DisciplineReview.Rating.choices)
    comment = forms.CharField(
        label=_("评鉴意见（保密，被评单位不可见）"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    veto = forms.BooleanField(label=_("一票否决"), required=False)
    evidence = MultipleFileField(
        label=_("佐证材料（保密，选填）"),
        required=False,
        help_text=_("被评单位不可见；JPG、PNG、PDF、DOCX、XLSX，每个不超过 20 MB，最多 6 个"),
    )


class ScoreUploadForm(forms.Form):
    file = forms.FileField(
        label=_("评分工作簿"),
        help_text=_("Excel 文件（.xlsx 或 .xls），按单位名称、各评估指标列填写"),
    )


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("退回理由"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
