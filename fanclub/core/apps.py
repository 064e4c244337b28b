from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "fanclub.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from fanclub.core import logging as fanclub_logging
        from fanclub.core import sql  # noqa: F401 (connects its connection_created receiver)

        fanclub_logging.configure_structlog()
