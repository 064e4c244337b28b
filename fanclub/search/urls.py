from django.urls import path

from fanclub.search import views

app_name = "search"

urlpatterns = [
    path("search/", views.search_results, name="search-results"),
    path("search/suggest/", views.search_suggest, name="search-suggest"),
    path("tags/<str:tag>/", views.tag_posts, name="tag-posts"),
    path("categories/<str:category>/", views.category_posts, name="category-posts"),
]
