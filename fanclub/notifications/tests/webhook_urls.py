"""The site's URLs plus the Postmark delivery-status webhook, as config/urls.py mounts it with
EMAIL_URL=anymail://postmark?... (tests run with memory:// email, so the real URLconf has none)."""

from config.urls import urlpatterns as site_urlpatterns
from fanclub.notifications import webhooks

urlpatterns = [*site_urlpatterns, *webhooks.tracking_urlpatterns(esp="postmark")]
