from django.urls import path

from fanclub.notifications import views

app_name = "notifications"

urlpatterns = [
    path("notifications/", views.notification_list, name="list"),
    path("notifications/read-all/", views.notification_read_all, name="read-all"),
    path("notifications/<int:notification_id>/read/", views.notification_read, name="read"),
    path("notifications/unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("settings/notifications/", views.notification_settings, name="settings"),
    path("settings/notifications/email/resume/", views.email_resume, name="email-resume"),
]
