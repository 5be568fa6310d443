"""Forms of the training-institution pages (labels, choices and placeholders in Chinese)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.roles import LEARNER_ROLES, Role
from catalogue.models import TrainingKind

from .models import Course

DATE = {"type": "date"}


class TrainingBankForm(forms.Form):
    code = forms.CharField(label=_("题库代码"), max_length=39,
                           help_text=_("小写字母、数字和连字符，如 weld-practice。"))
    name = forms.CharField(label=_("题库名称"), max_length=128)
    description = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class CourseForm(forms.Form):
    code = forms.SlugField(label=_("课程代码"), max_length=64, help_text=_("小写字母、数字和连字符，创建后不能修改。"),
                           error_messages={"invalid": _("课程代码只能用字母、数字、连字符和下划线。")})
    title = forms.CharField(label=_("课程名称"), max_length=200)
    kind = forms.ChoiceField(label=_("培训类型"), choices=TrainingKind.choices)
    audience = forms.MultipleChoiceField(
        label=_("面向人群"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(r.value, r.label) for r in Role if r in LEARNER_ROLES], help_text=_("不选表示不限。"))
    required_hours = forms.DecimalField(label=_("课程学时"), min_value=Decimal("0.1"), max_digits=6, decimal_places=1)
    minutes_per_hour = forms.IntegerField(label=_("每学时分钟数"), min_value=20, max_value=60, initial=45)
    renewal_months = forms.IntegerField(label=_("复训周期（月）"), required=False, min_value=1, max_value=120,
                                        help_text=_("如每年再培训填12；不需复训留空。"))
    summary = forms.CharField(label=_("课程简介"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    practice_banks = forms.ModelMultipleChoiceField(
        label=_("练习题库"), queryset=None, required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("本机构的培训练习题库，学员学习本课程时练习。"))

    def __init__(self, *args, banks, editing: Course | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["practice_banks"].queryset = banks
        self.fields["practice_banks"].error_messages["invalid_choice"] = _("只能选择本机构的培训练习题库。")
        if editing is not None:
            self.fields["code"].disabled = True
            self.fields["code"].help_text = _("课程代码创建后不能修改。")

    @classmethod
    def initial_for(cls, course: Course) -> dict:
        return {"code": course.code, "title": course.title, "kind": course.kind, "audience": course.audience,
                "required_hours": course.required_hours, "minutes_per_hour": course.minutes_per_hour,
                "renewal_months": course.renewal_months, "summary": course.summary,
                "practice_banks": list(course.practice_banks.all())}


class LessonForm(forms.Form):
    title = forms.CharField(label=_("课时标题"), max_length=200)
    body_text = forms.CharField(label=_("课时内容"), required=False, widget=forms.Textarea(attrs={"rows": 10}),
                                help_text=_("空一行分段。"))
    min_minutes = forms.IntegerField(label=_("最少学习时长（分钟）"), min_value=1, max_value=600, initial=45)
    video_url = forms.URLField(label=_("视频地址"), required=False, assume_scheme="https",
                               error_messages={"invalid": _("请填写有效的网址。")})
    video = forms.FileField(label=_("视频文件"), required=False, help_text=_("mp4、webm 或 m4v，不超过500MB。"))


class ProviderChooseForm(forms.Form):
    institution = forms.ModelChoiceField(label=_("培训机构"), queryset=None, empty_label=_("请选择培训机构"))

    def __init__(self, *args, institutions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = institutions
        self.fields["institution"].error_messages["invalid_choice"] = _("请选择一家在册的培训机构。")


class TrainingClassForm(forms.Form):
    course = forms.ModelChoiceField(label=_("课程"), queryset=None, empty_label=_("请选择课程"))
    name = forms.CharField(label=_("班级名称"), max_length=200)
    location = forms.CharField(label=_("地点"), max_length=200, required=False)
    start_date = forms.DateField(label=_("开班日期"), widget=forms.DateInput(attrs=DATE))
    end_date = forms.DateField(label=_("结业日期"), widget=forms.DateInput(attrs=DATE))

    def __init__(self, *args, courses, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = courses
        self.fields["course"].error_messages["invalid_choice"] = _("请选择本机构的课程。")

    def clean(self):
        cd = super().clean()
        if cd.get("start_date") and cd.get("end_date") and cd["end_date"] < cd["start_date"]:
            self.add_error("end_date", _("结业日期不能早于开班日期。"))
        return cd


class EnrolForm(forms.Form):
    identifiers = forms.CharField(
        label=_("按账号、手机号或身份证号报名"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("每行一人；只能报名已选择本机构的企业的人员。"))
