"""The account forms, bilingual like the rest of the site: every label and every error says
it in Chinese and in English (Django's own messages come in one language, and its Chinese
catalogue lacks some, such as the password's length)."""

from __future__ import annotations

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.forms.utils import ErrorList

# Django's error codes, in both languages; params as Django passes them.
MESSAGES = {
    "required": "此项必填。This field is required.",
    "invalid_choice": "请从列表中选一项。Select one of the choices.",
    "max_length": "最多 {limit_value} 个字（现在 {show_value} 个）。"
    "At most {limit_value} characters (it has {show_value}).",
    "min_value": "不能小于 {limit_value}。Must be at least {limit_value}.",
    "max_value": "不能大于 {limit_value}。Must be at most {limit_value}.",
    "null_characters_not_allowed": "不能含有空字符。Null characters are not allowed.",
    "password_mismatch": "两次输入的密码不一样。The two passwords differ.",
    "password_too_short": "密码太短：至少 {min_length} 个字符。"
    "This password is too short: at least {min_length} characters.",
    "password_too_common": "这个密码太常见了。This password is too common.",
    "password_entirely_numeric": "密码不能全是数字。This password is only digits.",
    "password_too_similar": "密码和{verbose_name}太像了。"
    "The password is too similar to the {verbose_name}.",
    "password_incorrect": "旧密码不对。The old password is not right.",
    "invalid_login": "用户名或密码不对（都区分大小写）。"
    "Wrong username or password (both are case-sensitive).",
    "inactive": "这个账户已停用。This account is inactive.",
    "unique": "这个用户名已经有人用了。Someone already has that username.",
}
# "invalid" depends on the field.
INVALID = {
    forms.EmailField: "请输入有效的电子邮件地址。Enter a valid email address.",
    forms.DateField: "请输入有效的日期（年-月-日）。Enter a valid date (year-month-day).",
    forms.IntegerField: "请输入整数。Enter a whole number.",
}


def bilingual(error: ValidationError, field: forms.Field | None = None) -> str:
    """One error as the site says it: in both languages where the code is known."""
    template = MESSAGES.get(error.code or "")
    if error.code == "invalid" and field is not None:
        template = next((m for kind, m in INVALID.items() if isinstance(field, kind)), None)
    if template is None:
        return " ".join(error.messages)
    try:
        return template.format(**(error.params or {}))
    except (KeyError, IndexError):
        return " ".join(error.messages)


class BilingualErrors(ErrorList):
    """Renders each error with ``bilingual``; knows its field once the form tells it."""

    field: forms.Field | None = None

    def __iter__(self):
        return map(self._say, self.data)

    def __getitem__(self, index):
        return self._say(self.data[index])

    def _say(self, error):
        return bilingual(error, self.field) if isinstance(error, ValidationError) else error


class BilingualForm:
    """A form mixin: bilingual labels (``LABELS``) and errors."""

    LABELS: dict[str, str] = {}

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("error_class", BilingualErrors)
        super().__init__(*args, **kwargs)
        for name, label in self.LABELS.items():
            if name in self.fields:
                self.fields[name].label = label

    def add_error(self, field, error):
        super().add_error(field, error)
        for name, errors in self._errors.items():
            if isinstance(errors, BilingualErrors):
                errors.field = self.fields.get(name)


SAY_THE_RULES = (  # what AUTH_PASSWORD_VALIDATORS ask, said before a password is refused
    "至少 8 个字符，不能太常见，不能全是数字。"
    "At least 8 characters, not a common password, not only digits."
)


class SignupForm(BilingualForm, auth_forms.UserCreationForm):
    LABELS = {
        "username": "用户名 Username",
        "email": "电子邮件 Email",
        "password1": "密码 Password",
        "password2": "再输一次 Password again",
    }
    email = forms.EmailField(
        required=False, help_text="可选，用于找回密码。Optional: for resetting your password."
    )

    class Meta(auth_forms.UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[
            "username"
        ].help_text = (
            "150 个字符以内：字母、数字和 @/./+/-/_。Up to 150 letters, digits and @/./+/-/_."
        )
        self.fields["password1"].help_text = SAY_THE_RULES
        self.fields["password2"].help_text = ""


class LoginForm(BilingualForm, auth_forms.AuthenticationForm):
    LABELS = {"username": "用户名 Username", "password": "密码 Password"}


# Said where a new password is chosen: Django's own rules come in one language.
NEW_PASSWORD_HELP = (
    f"{SAY_THE_RULES} 新密码会撤销你所有的 API 令牌。A new password revokes all your API tokens."
)


class _NewPasswordHelp:
    """The rules (and what a new password does to tokens) in both languages."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].help_text = NEW_PASSWORD_HELP
        self.fields["new_password2"].help_text = ""


class PasswordChangeForm(_NewPasswordHelp, BilingualForm, auth_forms.PasswordChangeForm):
    LABELS = {
        "old_password": "旧密码 Old password",
        "new_password1": "新密码 New password",
        "new_password2": "再输一次 New password again",
    }


class PasswordResetForm(BilingualForm, auth_forms.PasswordResetForm):
    LABELS = {"email": "电子邮件 Email"}


class SetPasswordForm(_NewPasswordHelp, BilingualForm, auth_forms.SetPasswordForm):
    LABELS = {
        "new_password1": "新密码 New password",
        "new_password2": "再输一次 New password again",
    }


class TokenForm(BilingualForm, forms.Form):
    name = forms.CharField(
        max_length=100, label="名称 Name", help_text="这个令牌做什么用。What the token is for."
    )
