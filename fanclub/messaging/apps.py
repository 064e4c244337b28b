from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "fanclub.messaging"
    label = "messaging"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Media delivery asks whether a message unlocked (or gave) a vault item to the viewer;
        # the user socket learns this app's frame types (typing, read, resume, presence).
        from fanclub.messaging import consumers, permissions

        permissions.register()
        consumers.register()
