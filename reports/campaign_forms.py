from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import HazardTag, Industry, Region

from .models import Campaign, CampaignTarget, ReportTemplate


class CampaignForm(forms.ModelForm):
    principal_deadline = forms.DateField(label=_("主要负责人培训全覆盖期限"), required=False,
                                         widget=forms.DateInput(attrs={"type": "date"}))
    safety_manager_deadline = forms.DateField(label=_("安全生产管理人员培训全覆盖期限"), required=False,
                                              widget=forms.DateInput(attrs={"type": "date"}))

    class Meta:
        model = Campaign
        fields = ["name", "document", "region", "start_date", "end_date", "template", "due_day", "remind_days",
                  "industries", "hazard_tags"]
        widgets = {"start_date": forms.DateInput(attrs={"type": "date"}),
                   "end_date": forms.DateInput(attrs={"type": "date"}),
                   "industries": forms.CheckboxSelectMultiple, "hazard_tags": forms.CheckboxSelectMultiple}

    def __init__(self, *args, regions=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions if regions is not None else Region.objects.all()
        self.fields["region"].empty_label = _("请选择地区")
        self.fields["template"].queryset = ReportTemplate.objects.all()
        self.fields["template"].empty_label = _("请选择调度表式样")
        self.fields["template"].required = True
        self.fields["industries"].queryset = Industry.objects.all()
        self.fields["hazard_tags"].queryset = HazardTag.objects.all()
        self.fields["due_day"].widget.attrs.update({"min": 1, "max": 28})
        if self.instance.pk:
            for t in self.instance.targets.all():
                self.fields[f"{t.population}_deadline"].initial = t.deadline

    def clean_due_day(self):
        day = self.cleaned_data.get("due_day")
        if day is not None and not 1 <= day <= 28:
            raise forms.ValidationError(_("截止日须在 1 至 28 日之间。"))
        return day

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("结束日期不能早于开始日期。"))
        return data

    def save_targets(self, campaign: Campaign) -> None:
        for population in CampaignTarget.Population.values:
            deadline = self.cleaned_data.get(f"{population}_deadline")
            if deadline:
                CampaignTarget.objects.update_or_create(campaign=campaign, population=population,
                                                        defaults={"deadline": deadline})
            else:
                CampaignTarget.objects.filter(campaign=campaign, population=population).delete()


class ReturnForm(forms.Form):
    reason = forms.CharField(label=_("退回原因"), widget=forms.Textarea(attrs={"rows": 2}), max_length=500)


class ReopenForm(forms.Form):
    reason = forms.CharField(label=_("重新打开的原因"), widget=forms.Textarea(attrs={"rows": 2}), max_length=500,
                             error_messages={"required": _("请填写重新打开的原因。")})


class SpotCheckForm(forms.Form):
    enterprise = forms.ModelChoiceField(label=_("被抽查企业"), queryset=None, empty_label=_("请选择企业"))
    unit = forms.ModelChoiceField(label=_("检查单位"), queryset=None, required=False, empty_label=_("本局"))
    checked_on = forms.DateField(label=_("检查日期"), widget=forms.DateInput(attrs={"type": "date"}))
    file = forms.FileField(label=_("在岗人员名单（姓名、身份证号、操作项目）"))

    def __init__(self, *args, enterprises, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = enterprises
        self.fields["unit"].queryset = units


class UnitForm(forms.ModelForm):
    class Meta:
        from .models import ReportingUnit

        model = ReportingUnit
        fields = ["region", "name", "kind"]

    def __init__(self, *args, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions
        self.fields["region"].empty_label = _("请选择地区")
        self.fields["kind"].choices = [c for c in self.fields["kind"].choices if c[0]]


class UnitMemberForm(forms.Form):
    login = forms.CharField(label=_("填报人员（用户名或手机号）"), max_length=150)

    def clean_login(self):
        from accounts.models import User

        value = self.cleaned_data["login"].strip()
        user = User.objects.filter(is_active=True).filter(username=value).first() or \
            User.objects.filter(is_active=True, phone=value).first()
        if user is None:
            raise forms.ValidationError(_("找不到该用户，请确认其已在平台注册。"))
        return user
