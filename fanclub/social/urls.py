from django.urls import path

from fanclub.social import views

app_name = "social"

urlpatterns = [
    path("settings/blocked/", views.blocked_muted, name="blocked-muted"),
    path("u/<str:handle>/block/", views.block_toggle, name="block-toggle"),
    path("u/<str:handle>/mute/", views.mute_toggle, name="mute-toggle"),
    path("studio/fans/", views.fan_lists, name="fan-lists"),
    path("studio/fans/lists/<int:list_id>/", views.fan_list_detail, name="fan-list-detail"),
    path("studio/fans/lists/<int:list_id>/delete/", views.fan_list_delete, name="fan-list-delete"),
    path("studio/fans/lists/<int:list_id>/members/", views.fan_list_member_add, name="fan-list-member-add"),
    path(
        "studio/fans/lists/<int:list_id>/members/<str:handle>/",
        views.fan_list_member_edit,
        name="fan-list-member-edit",
    ),
]
