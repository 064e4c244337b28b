from django.urls import path

from fanclub.creators import views

app_name = "creators"

urlpatterns = [
    path("studio/become/", views.become, name="studio-become"),
    path("studio/profile/", views.studio_profile, name="studio-profile"),
    path("studio/tiers/", views.studio_tiers, name="studio-tiers"),
    path("studio/tiers/<int:tier_id>/archive/", views.tier_archive, name="tier-archive"),
    path("studio/members/", views.member_grant, name="member-grant"),
    path("studio/members/<str:handle>/end/", views.member_end, name="member-end"),
]
