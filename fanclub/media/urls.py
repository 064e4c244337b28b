from django.urls import path

from fanclub.media import views

app_name = "media"

urlpatterns = [
    path("media/d/<uuid:media_id>/<slug:variant>/<path:file>", views.deliver, name="deliver"),
    path("studio/vault/", views.vault, name="vault"),
    path("studio/vault/albums/", views.album_create, name="album-create"),
    path("studio/vault/<uuid:media_id>/", views.vault_item, name="vault-item"),
    path("studio/vault/<uuid:media_id>/album/", views.album_add, name="album-add"),
    path("studio/vault/<uuid:media_id>/delete/", views.item_delete, name="item-delete"),
]
