"""Public URLs of outcomes and their search, mounted inside i18n_patterns (/en/, /sw/)."""

from django.urls import path, re_path

from search import views

app_name = "search"
urlpatterns = [
    path("search/", views.search, name="search"),
    path("search/outcomes.csv", views.download_csv, name="download_csv"),
    path("search/outcomes.json", views.download_json, name="download_json"),
    path("search/fields/", views.open_data_fields, name="fields"),
    # A reference is digits: anything else (a NUL, which PostgreSQL refuses in a query) is a 404.
    re_path(r"^outcomes/(?P<reference>[0-9]+)/$", views.outcome, name="outcome"),
]
