"""The group pages' forms, bilingual like the account's. They check what a browser sends;
the rules (a name's length, an invite's limits) are ``groups.services``', whose ``Invalid``
errors land on the field they name."""

from __future__ import annotations

import re
from datetime import timedelta

from django import forms
from django.utils import timezone

from accounts.forms import BilingualForm
from annotations.values import UNSTORABLE_MESSAGE, Invalid
from groups import services
from groups.models import Role

MAX_INVITE_DAYS = 365

# groups.services says what is wrong in English, for the API: here in both languages.
_SAID = [
    (r"is required", "此项必填。This field is required."),
    (r"at most (\d+) characters", "最多 {0} 个字。At most {0} characters."),
    (re.escape(UNSTORABLE_MESSAGE), "含有无法保存的字符。It holds a character that cannot be "
     "stored."),
    (r"must be in the future", "必须是将来的时间。Must be in the future."),
    (r"must be between (\d+) and (\d+)", "必须在 {0} 到 {1} 之间。Must be between {0} and {1}."),
    (r"must be one of .*", "请从列表中选一项。Select one of the choices."),
]  # fmt: skip


def say(message: str) -> str:
    for pattern, said in _SAID:
        if match := re.fullmatch(pattern, message):
            return said.format(*match.groups())
    return message


class ServiceErrors:
    """A form mixin: ``refused(invalid)`` puts each of the services' errors on its field (or
    on the form, for a field it does not have)."""

    SERVICE_FIELDS: dict[str, str] = {}

    def refused(self, invalid: Invalid) -> None:
        for error in invalid.errors:
            name = self.SERVICE_FIELDS.get(error["field"], error["field"])
            self.add_error(name if name in self.fields else None, say(error["message"]))


class GroupForm(ServiceErrors, BilingualForm, forms.Form):
    name = forms.CharField(max_length=services.MAX_NAME_CHARS, label="名称 Name")
    description = forms.CharField(
        max_length=services.MAX_DESCRIPTION_CHARS,
        required=False,
        label="简介 Description",
        help_text="可选：小组读什么、有什么规矩。Optional: what the group reads, its rules.",
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class InviteForm(ServiceErrors, BilingualForm, forms.Form):
    SERVICE_FIELDS = {"expires_at": "days"}

    days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_INVITE_DAYS,
        label="有效天数 Valid for (days)",
        help_text="留空：一直有效，直到撤销。Empty: until revoked.",
    )
    max_uses = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=services.MAX_INVITE_USES,
        label="最多使用次数 Use limit",
        help_text="留空：不限人数。Empty: any number of people.",
    )

    def invite_options(self) -> dict:
        """What ``services.make_invite`` takes."""
        days = self.cleaned_data.get("days")
        return {
            "expires_at": timezone.now() + timedelta(days=days) if days else None,
            "max_uses": self.cleaned_data.get("max_uses"),
        }


class RoleForm(ServiceErrors, BilingualForm, forms.Form):
    role = forms.ChoiceField(choices=Role.choices, label="角色 Role")
