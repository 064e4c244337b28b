from django.urls import path

from fanclub.community import views

app_name = "community"

urlpatterns = [
    path("swipe/", views.swipe, name="swipe"),
    path("explore/", views.explore, name="explore"),
    path("rankings/", views.rankings, name="rankings"),
]
