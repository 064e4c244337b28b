from allauth.account import views as allauth_views
from django.urls import path

from fanclub.accounts import views

app_name = "accounts"
urlpatterns = [
    # allauth's views under our names too (base.html, landing and LOGIN_URL use these).
    path("sign-in/", allauth_views.login, name="sign-in"),
    path("sign-up/", allauth_views.signup, name="sign-up"),
    path("security/", views.security, name="security"),
    path("security/sessions/", views.sessions, name="sessions"),
    path("security/sessions/<uuid:session_id>/revoke/", views.session_revoke, name="session-revoke"),
    path("security/sessions/revoke-others/", views.sessions_revoke_others, name="sessions-revoke-others"),
    path("security/delete/", views.account_delete, name="account-delete"),
    path("avatars/<str:handle>.png", views.avatar, name="avatar"),
    # Ahead of allauth's own routes for the same paths (config.urls includes this module first).
    path("google/login/", views.provider_login, {"provider_id": "google"}, name="google-login"),
    path("twitter_oauth2/login/", views.provider_login, {"provider_id": "twitter_oauth2"}, name="x-login"),
]
