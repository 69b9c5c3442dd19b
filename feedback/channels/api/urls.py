"""/api/v1/ (config/urls.py). One route per citizen action, read from the action table."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from config.api_docs import ApiDocsView  # issue 19: Swagger UI under the strict CSP
from feedback.channels.api import views
from feedback.channels.api.errors import not_found
from feedback.channels.api.serializers import citizen_actions

app_name = "api"

REFERENCE = "<str:reference>"

urlpatterns = [
    path("institutions/", views.InstitutionList.as_view(), name="institutions"),
    path("institutions/<str:short_code>/", views.InstitutionDetail.as_view(), name="institution"),
    path("services/", views.ServiceList.as_view(), name="services"),
    path("services/<str:code>/", views.ServiceDetail.as_view(), name="service"),
    path("cases/", views.CaseSubmit.as_view(), name="cases"),
    path(f"cases/{REFERENCE}/", views.CaseLookup.as_view(), name="case"),
    path(f"cases/{REFERENCE}/exchange/", views.CaseExchange.as_view(), name="exchange"),
    *[
        path(
            f"cases/{REFERENCE}/actions/{name}/",
            views.CaseAction.as_view(action_name=name),
            name=f"action-{name}",
        )
        for name in citizen_actions()
    ],
    path("outcomes/", views.OutcomeSearch.as_view(), name="outcomes"),
    path(f"outcomes/{REFERENCE}/", views.OutcomeDetail.as_view(), name="outcome"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", ApiDocsView.as_view(url_name="api:schema"), name="docs"),
    # Anything else under /api/v1/: a 404 in the API's error shape, not the site's HTML page.
    re_path(r"^.*$", not_found, name="not-found"),
]
