from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_save, pre_save

        from accounts import limits, signals

        limits.check_rates()
        user_model = get_user_model()
        pre_save.connect(signals.note_new_password, sender=user_model)
        post_save.connect(signals.after_new_password, sender=user_model)
