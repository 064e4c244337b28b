from django.apps import AppConfig
from django.db.models.signals import post_migrate


class BillingConfig(AppConfig):
    name = "fanclub.billing"
    label = "billing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from fanclub.billing import ledger

        # A flush (transactional tests) or migration may remove cached account rows.
        post_migrate.connect(ledger.accounts_forget, dispatch_uid="billing_ledger_accounts")
