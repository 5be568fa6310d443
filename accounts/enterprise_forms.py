"""Forms of the enterprise sign-up, review, edit and import pages. They only collect input: every rule
is checked by ``accounts.enterprises`` (the same for the page and the import)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .enterprises import ApplicantData, EnterpriseData
from .models import HazardTag, Industry, ProcessTag, Region


class EnterpriseForm(forms.Form):
    name = forms.CharField(label=_("企业名称"), max_length=128,
                           widget=forms.TextInput(attrs={"autocomplete": "organization"}))
    credit_code = forms.CharField(
        label=_("统一社会信用代码"), max_length=40,
        help_text=_("18位，见营业执照；最后一位是校验码，系统会核对。"),
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false", "class": "mono"}))
    region = forms.ModelChoiceField(label=_("所在地区"), queryset=Region.objects.order_by("code"),
                                    empty_label=_("请选择所在地区"),
                                    help_text=_("企业生产经营场所所在的行政区划，由该地区的应急管理部门审核。"))
    industry = forms.ModelChoiceField(label=_("行业"), queryset=Industry.objects.order_by("code"), required=False,
                                      empty_label=_("请选择行业"))
    hazard_tags = forms.ModelMultipleChoiceField(
        label=_("风险特征"), queryset=HazardTag.objects.order_by("code"), required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "check-list"}),
        help_text=_("勾选本企业涉及的全部风险特征，用于推送培训课程和警示案例。"))
    process_tags = forms.ModelMultipleChoiceField(
        label=_("设备/工艺"), queryset=ProcessTag.objects.order_by("kind", "code"), required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "check-list"}),
        help_text=_("勾选本企业使用的主要设备和工艺，用于推送相似企业的事故案例。"))
    address = forms.CharField(label=_("地址"), max_length=255, required=False,
                              widget=forms.TextInput(attrs={"autocomplete": "street-address"}))

    def __init__(self, *args, organization=None, application=None, by_bureau: bool = False, **kwargs):
        self.context = {"organization": organization, "application": application, "by_bureau": by_bureau}
        super().__init__(*args, **kwargs)
        for f in self.fields.values():
            f.error_messages["required"] = _("此项为必填项。")
        self.fields["region"].label_from_instance = lambda r: f"{r.code} {r.name}"
        # equipment and processes in two groups, each a list of check boxes
        tags = list(self.fields["process_tags"].queryset)
        groups = []
        for kind, label in ProcessTag.Kind.choices:
            members = [(t.pk, t.name) for t in tags if t.kind == kind]
            if members:
                groups.append((label, members))
        self.fields["process_tags"].choices = groups

    def clean(self):
        """The service's own checks (credit code check character, duplicates), shown with the rest."""
        cleaned = super().clean()
        if all(k in cleaned for k in ("name", "credit_code", "region")):
            from django.core.exceptions import ValidationError

            from .enterprises import clean_enterprise_data

            try:
                clean_enterprise_data(self.to_data(), **self.context)
            except ValidationError as exc:
                for key, messages in exc.message_dict.items():
                    for message in messages:
                        self.add_error(key if key in self.fields else None, message)
        return cleaned

    def to_data(self) -> EnterpriseData:
        d = self.cleaned_data
        return EnterpriseData(name=d["name"], credit_code=d["credit_code"], region=d["region"],
                              industry=d.get("industry"), hazard_tags=list(d.get("hazard_tags") or []),
                              process_tags=list(d.get("process_tags") or []), address=d.get("address", ""))

    @staticmethod
    def initial_of(obj) -> dict:
        return {"name": obj.name, "credit_code": obj.credit_code, "region": obj.region_id,
                "industry": obj.industry_id, "hazard_tags": [t.pk for t in obj.hazard_tags.all()],
                "process_tags": [t.pk for t in obj.process_tags.all()], "address": obj.address}


class ApplicantForm(forms.Form):
    real_name = forms.CharField(label=_("您的姓名"), max_length=64, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    phone = forms.CharField(label=_("手机号"), max_length=20,
                            help_text=_("审核结果会以短信通知到这个号码。"),
                            widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}))
    email = forms.EmailField(label=_("电子邮箱"), required=False,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    username = forms.CharField(label=_("用户名"), max_length=150,
                               help_text=_("登录时使用，可用字母、数字和 _ . @ + - 符号。"),
                               widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "none"}))
    password = forms.CharField(label=_("密码"), strip=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label=_("再次输入密码"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for f in self.fields.values():
            f.error_messages["required"] = _("此项为必填项。")
        self.fields["email"].error_messages["invalid"] = _("请输入有效的电子邮箱地址。")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password") and cleaned.get("password2") and cleaned["password"] != cleaned["password2"]:
            self.add_error("password2", _("两次输入的密码不一致。"))
        # the service's own checks (phone, free user name, password strength), shown with the rest
        from django.core.exceptions import ValidationError

        from .enterprises import clean_applicant

        try:
            clean_applicant(ApplicantData(username=cleaned.get("username", ""), password=cleaned.get("password", ""),
                                          real_name=cleaned.get("real_name", ""), phone=cleaned.get("phone", ""),
                                          email=cleaned.get("email", "")))
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                if key in self.fields and key not in self.errors:
                    for message in messages:
                        self.add_error(key, message)
        return cleaned

    def to_person(self) -> ApplicantData:
        d = self.cleaned_data
        return ApplicantData(username=d["username"], password=d["password"], real_name=d["real_name"],
                             phone=d["phone"], email=d.get("email", ""))


class ReturnForm(forms.Form):
    reason = forms.CharField(label=_("退回原因"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000,
                             help_text=_("告诉申请人需要修改或补充什么，会通过短信和邮件发给申请人。"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].error_messages["required"] = _("退回时必须填写原因，告诉申请人需要修改什么。")


class ImportForm(forms.Form):
    file = forms.FileField(label=_("企业名册文件（.xlsx 或 .csv）"))
    dry_run = forms.BooleanField(label=_("只校验，不导入"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].error_messages.update({"required": _("请选择要上传的文件。"),
                                                   "empty": _("上传的文件是空的。")})


def add_errors(forms_: list[forms.Form], exc) -> None:
    """Put a service's ValidationError on the form that has the field (else as a form error)."""
    if not hasattr(exc, "error_dict"):
        forms_[0].add_error(None, exc.messages)
        return
    for key, messages in exc.message_dict.items():
        target = next((f for f in forms_ if key in f.fields), None)
        for message in messages:
            if target is None:
                forms_[0].add_error(None, message)
            else:
                target.add_error(key, message)
