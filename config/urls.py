from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from config.api import api
from fanclub.core import views as core_views
from fanclub.notifications import webhooks as email_webhooks

urlpatterns = [
    path("", core_views.landing, name="landing"),
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("metrics", core_views.metrics_view, name="metrics"),
    path("offline/", core_views.offline, name="offline"),
    path("manifest.webmanifest", core_views.manifest, name="manifest"),
    path("sw.js", core_views.service_worker, name="service-worker"),
    path("accounts/", include("fanclub.accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", api.urls),
    path("", include("fanclub.media.urls")),
    path("", include("fanclub.creators.urls")),
    path("", include("fanclub.content.urls")),
    path("", include("fanclub.feeds.urls")),
    path("", include("fanclub.social.urls")),
    path("", include("fanclub.billing.urls")),
    path("", include("fanclub.messaging.urls")),
    path("", include("fanclub.community.urls")),
    path("", include("fanclub.search.urls")),
    path("", include("fanclub.notifications.urls")),
    path("admin/", admin.site.urls),
    # The ESP's delivery-status webhook, only with EMAIL_URL=anymail://<esp> (docs/notifications.md).
    *email_webhooks.tracking_urlpatterns(esp=settings.EMAIL_TRACKING_ESP),
]

handler404 = "fanclub.core.views.page_not_found"
handler500 = "fanclub.core.views.server_error"
