"""Public URLs of outcomes and their search, mounted inside i18n_patterns (/en/, /sw/)."""

from django.urls import path

from search import views

app_name = "search"
urlpatterns = [
    path("search/", views.search, name="search"),
    path("search/outcomes.csv", views.download_csv, name="download_csv"),
    path("search/outcomes.json", views.download_json, name="download_json"),
    path("search/fields/", views.open_data_fields, name="fields"),
    path("outcomes/<str:reference>/", views.outcome, name="outcome"),
]
