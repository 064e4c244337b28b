from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "fanclub.accounts"
    label = "accounts"
    verbose_name = "Accounts"
