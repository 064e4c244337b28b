from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "fanclub.content"
    label = "content"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Media delivery asks the content access policy on every request (see policy.py).
        from fanclub.content import policy

        policy.register()
