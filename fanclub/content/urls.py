from django.urls import path

from fanclub.content import views

app_name = "content"

urlpatterns = [
    path("c/<str:handle>/", views.creator_profile, name="creator-profile"),
    path("c/<str:handle>/follow/", views.follow_toggle, name="follow-toggle"),
    path("c/<str:handle>/subscribe/", views.subscribe_info, name="subscribe-info"),
    path("p/<int:post_id>/", views.post_detail, name="post-detail"),
    path("p/<int:post_id>/comments/", views.comment_create, name="comment-create"),
    path("p/<int:post_id>/comments/<int:comment_id>/delete/", views.comment_delete, name="comment-delete"),
    path("p/<int:post_id>/<slug:kind>/", views.post_react, name="post-react"),
    path("studio/", views.studio, name="studio"),
    path("studio/posts/new/", views.composer, name="composer"),
    path("studio/posts/<int:post_id>/edit/", views.composer, name="composer-edit"),
    path("studio/posts/<int:post_id>/preview/", views.post_preview, name="post-preview"),
    path("studio/posts/<int:post_id>/<slug:action>/", views.post_action, name="post-action"),
]
