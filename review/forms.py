from django import forms

from accounts.forms import BilingualForm
from review.models import MAX_DAILY_COUNT, Answer

_COUNT_ERROR = (
    f"请输入 1 到 {MAX_DAILY_COUNT} 之间的整数。Enter a whole number from 1 to {MAX_DAILY_COUNT}."
)


class ReviewSettingsForm(BilingualForm, forms.Form):
    daily_count = forms.IntegerField(
        label="每天几条 Cards a day",
        min_value=1,
        max_value=MAX_DAILY_COUNT,
        error_messages={
            "invalid": _COUNT_ERROR,
            "min_value": _COUNT_ERROR,
            "max_value": _COUNT_ERROR,
            "required": _COUNT_ERROR,
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text=f"1 到 {MAX_DAILY_COUNT} 条。From 1 to {MAX_DAILY_COUNT}.",
    )
    email_digest = forms.BooleanField(
        label="每天发邮件 Email me the daily set",
        required=False,
        help_text="需要账户里有电子邮件地址。Needs an email address on your account.",
    )


class AnswerForm(forms.Form):
    answer = forms.ChoiceField(choices=Answer.choices)
