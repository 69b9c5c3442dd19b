"""The routes the API's schema describes: /api/v1/ alone (not Open311, not the site)."""

from django.urls import include, path

urlpatterns = [path("api/v1/", include("feedback.channels.api.urls"))]
