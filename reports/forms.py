from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organization
from accounts.roles import OrgKind
from courses.models import Course


class _BureauForm(forms.Form):
    bureau = forms.ModelChoiceField(label=_("填报单位"), queryset=Organization.objects.none(), empty_label=None)

    def __init__(self, *args, bureaus: list[Organization], **kwargs):
        super().__init__(*args, **kwargs)
        if bureaus:
            self.fields["bureau"].queryset = Organization.objects.filter(pk__in=[b.pk for b in bureaus])
        else:  # the platform superuser may produce any bureau's table
            self.fields["bureau"].queryset = Organization.objects.filter(kind=OrgKind.BUREAU, is_active=True)
        if len(bureaus) == 1:
            self.fields["bureau"].initial = bureaus[0].pk
            self.fields["bureau"].widget = forms.HiddenInput()


class ProgressExportForm(_BureauForm):
    start = forms.DateField(label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("结束日期"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if start > end:
                raise forms.ValidationError(_("开始日期不能晚于结束日期。"))
            if (end - start).days > 366 * 5:
                raise forms.ValidationError(_("统计期间不能超过五年。"))
        return data


class ProgressGenerateForm(_BureauForm):
    month = forms.CharField(label=_("月份"), widget=forms.TextInput(attrs={"type": "month", "class": "input"}),
                            help_text=_("格式：2026-11"))

    def clean_month(self) -> dt.date:
        value = self.cleaned_data["month"].strip()
        try:
            year, month = (int(x) for x in value.split("-"))
            day = dt.date(year, month, 1)
        except (ValueError, TypeError):
            raise forms.ValidationError(_("请按“年-月”填写月份，例如 2026-11。")) from None
        if day > timezone.localdate().replace(day=1):
            raise forms.ValidationError(_("不能生成未来月份的调度表。"))
        return day


class CoverageFilterForm(forms.Form):
    dimension = forms.ChoiceField(label=_("统计维度"), required=False, choices=[
        ("industry", _("行业")), ("hazard", _("风险特征")), ("region", _("地区")), ("role", _("角色")),
        ("enterprise", _("企业"))])
    course = forms.ModelChoiceField(label=_("课程"), required=False, queryset=Course.objects.all(),
                                    empty_label=_("全部必修课程"))
