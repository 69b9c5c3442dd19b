"""Public URLs of institutions' performance and the ranking, inside i18n_patterns (/en/, /sw/)."""

from django.urls import path, re_path

from feedback.reports import views

app_name = "performance"
urlpatterns = [
    path("", views.index, name="index"),
    path("ranking/", views.ranking, name="ranking"),
    path("institution/<int:pk>/", views.by_id, name="by_id"),
    # Short codes are keypad digits (feedback.models.keypad_code): nothing else is a page.
    re_path(r"^(?P<code>[0-9]{1,6})/$", views.institution, name="institution"),
]
