from django.urls import path

from fanclub.feeds import views

app_name = "feeds"

urlpatterns = [
    path("feed/", views.home_feed, name="home-feed"),
]
