"""Input validation only: the actions decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class BulletinForm(forms.Form):
    month = forms.DateField(
        label=_("月份（该月任一天）"), widget=forms.DateInput(attrs={"type": "date"})
    )
    number = forms.CharField(label=_("发文字号"), max_length=40)
    addressees = forms.CharField(
        label=_("主送机关"), max_length=200, initial="各县区教育局，局属各单位"
    )
    copies_to = forms.CharField(label=_("抄送机关（用顿号分隔）"), max_length=200, required=False)
    signer = forms.CharField(
        label=_("签发人（上行文填写，印在发文字号右侧）"), max_length=20, required=False
    )
    red_over = forms.IntegerField(label=_("红灯问题多于（个）批评"), min_value=0, initial=3)
    satisfaction_below = forms.IntegerField(
        label=_("满意率低于（%）批评"), min_value=0, max_value=100, initial=85
    )
    min_rated = forms.IntegerField(label=_("满意率至少按（件）评价计"), min_value=1, initial=5)

    def rules(self) -> dict[str, int]:
        data = self.cleaned_data
        return {k: data[k] for k in ("red_over", "satisfaction_below", "min_rated")}


class UploadForm(forms.Form):
    file = forms.FileField(label=_("修改稿（.docx）"))
