from django.contrib.auth import views as auth_views
from django.urls import include, path

import config.ids  # noqa: F401  (the <id:…> converter)
from accounts import forms, views


def _form(view, title: str, submit: str, form, **extra):
    """One of django.contrib.auth's form views on the site's one form template, with its
    bilingual form (accounts.forms)."""
    # "heading", not "title": some of these views set their own one-language title.
    context = {"heading": title, "submit": submit, **extra}
    form_option = "authentication_form" if issubclass(view, auth_views.LoginView) else "form_class"
    return view.as_view(
        template_name="registration/form.html", extra_context=context, **{form_option: form}
    )


# django.contrib.auth's views reverse their own names without a namespace, so neither do these.
urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("", views.account, name="account"),
    path("tokens/<id:pk>/revoke/", views.revoke_token, name="revoke_token"),
    path("tokens/revoke-all/", views.revoke_all_tokens, name="revoke_all_tokens"),
    path("import/", views.import_notes, name="import_notes"),
    path("notes-feed/new/", views.create_feed_token, name="create_feed_token"),
    path("notes-feed/revoke/", views.revoke_feed_token, name="revoke_feed_token"),
    path(
        "login/",
        _form(views.LoginView, "登录 Sign in", "登录 Sign in", forms.LoginForm, login=True),
        name="login",
    ),
    path(
        "password_change/",
        _form(
            auth_views.PasswordChangeView,
            "修改密码 Change password",
            "保存 Save",
            forms.PasswordChangeForm,
        ),
        name="password_change",
    ),
    path(
        "password_reset/",
        _form(
            auth_views.PasswordResetView,
            "重设密码 Reset password",
            "发送邮件 Send mail",
            forms.PasswordResetForm,
        ),
        name="password_reset",
    ),
    path(
        "reset/<uidb64>/<token>/",
        _form(
            auth_views.PasswordResetConfirmView,
            "设置新密码 New password",
            "保存 Save",
            forms.SetPasswordForm,
        ),
        name="password_reset_confirm",
    ),
    path("", include("django.contrib.auth.urls")),  # logout and the "done" pages
]
