from django.apps import AppConfig


class CreatorsConfig(AppConfig):
    name = "fanclub.creators"
    label = "creators"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from fanclub.creators.permissions import persona_media_entitlement
        from fanclub.media.permissions import register_entitlement_provider

        register_entitlement_provider(persona_media_entitlement)
