from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "fanclub.notifications"
    label = "notifications"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # anymail's delivery-status webhook reports through its signal; the receiver only maps the
        # event and calls one service (fanclub.notifications.webhooks).
        from anymail.signals import tracking

        from fanclub.notifications import webhooks

        tracking.connect(webhooks.tracking_received, dispatch_uid="fanclub.notifications.email_tracking")
