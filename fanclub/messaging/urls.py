from django.urls import path

from fanclub.messaging import views

app_name = "messaging"

urlpatterns = [
    path("messages/", views.inbox, name="inbox"),
    path("messages/start/", views.conversation_start, name="conversation-start"),
    path("messages/settings/", views.messaging_settings, name="settings"),
    path("messages/<int:conversation_id>/", views.conversation_detail, name="conversation-detail"),
    path("messages/<int:conversation_id>/send/", views.message_send, name="message-send"),
    path(
        "messages/<int:conversation_id>/m/<int:message_id>/", views.message_fragment, name="message-fragment"
    ),
    path("messages/<int:conversation_id>/tip/", views.conversation_tip, name="conversation-tip"),
    path("messages/unlock/<int:message_id>/", views.message_unlock, name="message-unlock"),
    path("messages/report/<int:message_id>/", views.message_report, name="message-report"),
    path("studio/mass-messages/", views.mass_messages, name="mass-messages"),
    path("studio/mass-messages/preview/", views.mass_message_preview, name="mass-message-preview"),
]
