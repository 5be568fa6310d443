from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import HazardTag, Industry
from accounts.roles import LEARNER_ROLES, Role

from .models import Course


class AssignmentRuleForm(forms.Form):
    issuer = forms.ModelChoiceField(label=_("发布单位"), queryset=None)
    name = forms.CharField(label=_("规则名称"), max_length=200)
    course = forms.ModelChoiceField(label=_("课程"), queryset=Course.objects.filter(is_published=True))
    roles = forms.MultipleChoiceField(
        label=_("角色"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(r.value, r.label) for r in Role if r in LEARNER_ROLES], help_text=_("不选表示所有企业人员。"))
    industries = forms.ModelMultipleChoiceField(label=_("行业"), queryset=Industry.objects.all(), required=False,
                                                widget=forms.CheckboxSelectMultiple)
    hazard_tags = forms.ModelMultipleChoiceField(label=_("风险特征（任一）"), queryset=HazardTag.objects.all(),
                                                 required=False, widget=forms.CheckboxSelectMultiple)
    region_prefix = forms.RegexField(label=_("地区代码前缀"), regex=r"^\d{2,6}$", required=False,
                                     help_text=_("如 4407（江门市）、440704（江海区）；留空为发布单位辖区。"),
                                     error_messages={"invalid": _("请填写2至6位数字的行政区划代码前缀。")})
    joined_since = forms.DateField(label=_("入职日期不早于"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                                   help_text=_("新上岗人员培训用；留空不限。"))
    due_date = forms.DateField(label=_("完成期限"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    due_in_days = forms.IntegerField(label=_("后加入人员期限（天）"), required=False, min_value=1, max_value=3650)

    def __init__(self, *args, issuers, **kwargs):
        super().__init__(*args, **kwargs)
        from accounts.models import Organization

        self.fields["issuer"].queryset = Organization.objects.filter(pk__in=[o.pk for o in issuers])
        if len(issuers) == 1:
            self.fields["issuer"].initial = issuers[0].pk

    def clean(self):
        cd = super().clean()
        if not cd.get("due_date") and not cd.get("due_in_days"):
            raise forms.ValidationError(_("请填写完成期限或后加入人员期限。"))
        return cd


class OfflineSessionForm(forms.Form):
    provider = forms.ModelChoiceField(label=_("培训机构"), queryset=None)
    course = forms.ModelChoiceField(label=_("课程"), queryset=Course.objects.all())
    title = forms.CharField(label=_("培训名称"), max_length=200)
    location = forms.CharField(label=_("地点"), max_length=200, required=False)
    start_date = forms.DateField(label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(label=_("结束日期"), widget=forms.DateInput(attrs={"type": "date"}))
    hours = forms.DecimalField(label=_("学时"), min_value=Decimal("0.1"), max_digits=6, decimal_places=1)

    def __init__(self, *args, providers, **kwargs):
        super().__init__(*args, **kwargs)
        from accounts.models import Organization

        self.fields["provider"].queryset = Organization.objects.filter(pk__in=[o.pk for o in providers])
        if len(providers) == 1:
            self.fields["provider"].initial = providers[0].pk

    def clean(self):
        cd = super().clean()
        if cd.get("start_date") and cd.get("end_date") and cd["end_date"] < cd["start_date"]:
            self.add_error("end_date", _("结束日期不能早于开始日期。"))
        return cd


class AttendanceImportForm(forms.Form):
    file = forms.FileField(label=_("签到表（.xlsx）"))

    def clean_file(self):
        f = self.cleaned_data["file"]
        if not f.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(_("请上传 .xlsx 格式的文件。"))
        if f.size > 5 * 1024 * 1024:
            raise forms.ValidationError(_("文件不能超过5MB。"))
        return f
