from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import OPTION_KEYS, Blueprint, KnowledgeTag, Question


class QuestionForm(forms.Form):
    type = forms.ChoiceField(label=_("题型"), choices=Question.Type.choices)
    stem = forms.CharField(label=_("题干"), widget=forms.Textarea(attrs={"rows": 3}))
    option_a = forms.CharField(label=_("选项A"), required=False)
    option_b = forms.CharField(label=_("选项B"), required=False)
    option_c = forms.CharField(label=_("选项C"), required=False)
    option_d = forms.CharField(label=_("选项D"), required=False)
    option_e = forms.CharField(label=_("选项E"), required=False)
    option_f = forms.CharField(label=_("选项F"), required=False)
    answer = forms.CharField(label=_("答案"), required=False, max_length=8,
                             help_text=_("选项字母，如 B 或 ACD；判断题 T/F；简答题留空。"))
    explanation = forms.CharField(label=_("解析"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    difficulty = forms.IntegerField(label=_("难度"), min_value=1, max_value=5, initial=3)
    tags = forms.ModelMultipleChoiceField(label=_("知识点"), queryset=KnowledgeTag.objects.all(), required=False,
                                          widget=forms.SelectMultiple(attrs={"size": 6}))

    def options(self) -> list[dict]:
        out = []
        for k in OPTION_KEYS:
            text = (self.cleaned_data.get(f"option_{k.lower()}") or "").strip()
            if text:
                out.append({"key": k, "text": text})
        return out

    @classmethod
    def initial_for(cls, q: Question) -> dict:
        data = {"type": q.type, "stem": q.stem, "answer": q.answer, "explanation": q.explanation,
                "difficulty": q.difficulty, "tags": list(q.tags.all())}
        if q.type in ("single", "multiple"):
            for o in q.options:
                data[f"option_{o['key'].lower()}"] = o["text"]
        return data


class ImportForm(forms.Form):
    file = forms.FileField(label=_("试题文件（.xlsx 或 .csv）"))
    dry_run = forms.BooleanField(label=_("只检查，不导入"), required=False)


class SessionForm(forms.Form):
    name = forms.CharField(label=_("场次名称"), max_length=128)
    blueprint = forms.ModelChoiceField(label=_("组卷策略"), queryset=Blueprint.objects.none(),
                                       empty_label=_("（请选择组卷策略）"))
    operation_item = forms.ModelChoiceField(label=_("操作项目"), queryset=None, required=False,
                                            empty_label=_("（按组卷策略的题库）"))
    starts_at = forms.DateTimeField(label=_("开始时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    ends_at = forms.DateTimeField(label=_("结束时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    venue = forms.ModelChoiceField(label=_("考试场地"), queryset=None, required=False, empty_label=_("（请选择考试场地）"),
                                   help_text=_("考培分离：只能使用本考试中心的场地，不得使用培训机构的场地。"))
    room = forms.CharField(label=_("考场"), max_length=128, required=False)
    seats = forms.IntegerField(label=_("座位数"), min_value=1, max_value=999, initial=30)
    allowed_ip_ranges = forms.CharField(label=_("允许的客户端 IP 段"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                                        help_text=_("每行一个，如 10.1.2.0/24；留空不限制。"))
    required_course_code = forms.ChoiceField(label=_("须完成的课程"), required=False, choices=(),
                                             error_messages={"invalid_choice": _("请从列表中选择课程。")})
    require_check_in = forms.BooleanField(label=_("开考前须由监考人员签到核验身份"), required=False, initial=True)
    exam_stills = forms.BooleanField(
        label=_("考试中拍照留存"), required=False, initial=False,
        help_text=_("考试页面在开考时及每隔一定时间调用摄像头拍照，照片随答卷保存，仅本考试中心的监考人员可以查看。"))
    exam_still_minutes = forms.IntegerField(label=_("考试中拍照间隔（分钟）"), min_value=0, max_value=240, initial=10,
                                            required=False, help_text=_("0 表示只在开考时拍照。"))

    def clean_exam_still_minutes(self):
        minutes = self.cleaned_data.get("exam_still_minutes")
        return 10 if minutes is None else minutes

    def __init__(self, *args, blueprints=None, venues=None, **kwargs):
        super().__init__(*args, **kwargs)
        from catalogue.models import OperationItem

        from .models import ExamVenue
        from .eligibility import course_choices

        self.fields["blueprint"].queryset = blueprints if blueprints is not None else Blueprint.objects.none()
        self.fields["venue"].queryset = venues if venues is not None else ExamVenue.objects.none()
        self.fields["operation_item"].queryset = OperationItem.objects.filter(is_active=True).select_related("category")
        courses = course_choices()  # the courses app answers; exams stores the code
        field = self.fields["required_course_code"]
        field.choices = [("", _("不要求完成课程"))] + (courses or [])
        if courses is None:
            field.help_text = _("课程列表暂不可用。")

    def clean(self):
        data = super().clean()
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", _("结束时间必须晚于开始时间。"))
        bp = data.get("blueprint")
        if bp is not None and bp.certificate_kind_id is None:
            self.add_error("blueprint", _("该组卷策略未指定证书种类。"))
        for line in (data.get("allowed_ip_ranges") or "").splitlines():
            if line.strip():
                import ipaddress

                try:
                    ipaddress.ip_network(line.strip(), strict=False)
                except ValueError:
                    self.add_error("allowed_ip_ranges", _("IP 段“%(v)s”格式有误。") % {"v": line.strip()})
        return data


class RegistrationAddForm(forms.Form):
    """Register a candidate. The override reason (破格理由) is offered only to someone whose role may
    override (``exams.eligibility.override_role``); the service checks the role and the reason again."""

    who = forms.CharField(label=_("考生用户名或身份证号"), max_length=64)
    override_reason = forms.CharField(label=_("资格不符时的破格理由"), required=False, max_length=200,
                                      help_text=_("留空时，不符合报名条件的考生不能报名。"))

    def __init__(self, *args, can_override: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_override:
            del self.fields["override_reason"]

    def clean_override_reason(self):
        return (self.cleaned_data.get("override_reason") or "").strip()


class RetrainingCompleteForm(forms.Form):
    completed_on = forms.DateField(label=_("重新培训完成日期"), widget=forms.DateInput(attrs={"type": "date"}))


class ExtendForm(forms.Form):
    minutes = forms.IntegerField(label=_("延长（分钟）"), min_value=1, max_value=120, initial=10)
    reason = forms.CharField(label=_("原因"), max_length=200)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=200)


class MarkForm(forms.Form):
    score = forms.DecimalField(label=_("得分"), min_value=0, max_digits=5, decimal_places=1)
    comment = forms.CharField(label=_("评语"), required=False, max_length=500)


class BlueprintForm(forms.Form):
    """组卷策略: the paper's frame. Sections come from :class:`SectionFormSet`."""

    code = forms.SlugField(label=_("代码"), max_length=40, help_text=_("字母、数字和连字符，如 lv-elec-2026。"))
    name = forms.CharField(label=_("名称"), max_length=128)
    bank = forms.ModelChoiceField(label=_("考试题库"), queryset=None, empty_label=_("（请选择考试题库）"))
    training_bank = forms.ModelChoiceField(label=_("模拟考试用练习题库"), queryset=None, required=False,
                                           empty_label=_("（不提供模拟考试）"))
    certificate_kind = forms.ModelChoiceField(label=_("证书种类"), queryset=None, empty_label=_("（请选择证书种类）"))
    pass_mark = forms.DecimalField(label=_("合格分"), max_digits=5, decimal_places=1, min_value=0, required=False,
                                   help_text=_("留空：按证书种类规定的理论考试合格分。"))
    duration_minutes = forms.IntegerField(label=_("考试时长（分钟）"), min_value=5, max_value=600, initial=90)
    shuffle_questions = forms.BooleanField(label=_("试题乱序"), required=False, initial=True)
    shuffle_options = forms.BooleanField(label=_("选项乱序"), required=False, initial=True)
    review_policy = forms.ChoiceField(
        label=_("考后可查看"), initial=Blueprint.Review.RESPONSES,
        choices=[(v, label) for v, label in Blueprint.Review.choices if v in Blueprint.EXAM_REVIEW_POLICIES],
        error_messages={"invalid_choice": _("考试题库的试题不向考生公布答案与解析：正式考试考后只能查看成绩及各知识点对错题数。")},
        help_text=_("正确答案与解析只在使用练习题库的模拟考试中显示。"))
    review_when = forms.ChoiceField(label=_("查看时间"), choices=Blueprint.ReviewWhen.choices,
                                    initial=Blueprint.ReviewWhen.IMMEDIATELY)

    def __init__(self, *args, testing_banks=None, training_banks=None, **kwargs):
        super().__init__(*args, **kwargs)
        from catalogue.models import CertificateKind

        self.fields["bank"].queryset = testing_banks
        self.fields["bank"].empty_label = _("请选择考试题库")
        self.fields["training_bank"].queryset = training_banks
        self.fields["training_bank"].empty_label = _("不设模拟考试")
        self.fields["certificate_kind"].empty_label = _("请选择证书种类")
        self.fields["certificate_kind"].queryset = CertificateKind.objects.select_related("rule_version").order_by(
            "rule_version__code", "name")


class SectionForm(forms.Form):
    title = forms.CharField(label=_("题组"), max_length=64)
    question_type = forms.ChoiceField(label=_("题型"), choices=Question.Type.choices)
    count = forms.IntegerField(label=_("题数"), min_value=1, max_value=200)
    points = forms.DecimalField(label=_("每题分值"), max_digits=4, decimal_places=1, min_value=0.5)
    difficulty_min = forms.IntegerField(label=_("最低难度"), min_value=1, max_value=5, initial=1)
    difficulty_max = forms.IntegerField(label=_("最高难度"), min_value=1, max_value=5, initial=5)
    tags = forms.ModelMultipleChoiceField(label=_("知识点"), queryset=KnowledgeTag.objects.order_by("code"),
                                          required=False, help_text=_("不选：不限知识点。"))
    partial_credit = forms.BooleanField(label=_("少选得分"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # a row of the sections table: the column heading is the visible label, so each field carries
        # its name for screen readers, with the row's number ("题组 2 题数")
        row = (self.prefix or "").rsplit("-", 1)[-1]
        number = int(row) + 1 if row.isdigit() else ""
        for field in self.fields.values():
            field.widget.attrs["aria-label"] = f"{_('题组')} {number} {field.label}".replace("  ", " ")

    def clean(self):
        data = super().clean()
        low, high = data.get("difficulty_min"), data.get("difficulty_max")
        if low and high and low > high:
            self.add_error("difficulty_max", _("最高难度不能低于最低难度。"))
        if data.get("partial_credit") and data.get("question_type") != Question.Type.MULTIPLE:
            self.add_error("partial_credit", _("只有多选题可以设置少选得分。"))
        return data


class BaseSectionFormSet(forms.BaseFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            number = "" if index is None else index + 1
            form.fields["DELETE"].widget.attrs["aria-label"] = f"{_('删除')} {_('题组')} {number}".strip()


SectionFormSet = forms.formset_factory(SectionForm, formset=BaseSectionFormSet, extra=1, can_delete=True, min_num=1,
                                       validate_min=True, max_num=20, validate_max=True)


class VenueForm(forms.Form):
    name = forms.CharField(label=_("场地名称"), max_length=128)
    address = forms.CharField(label=_("地址"), max_length=255, required=False)
