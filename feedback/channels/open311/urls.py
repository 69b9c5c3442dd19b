"""Open311 GeoReport v2 at /open311/: discovery, and the spec's resources under v2/, each
with its format as a suffix (.xml or .json)."""

from django.urls import re_path

from feedback.channels.open311 import views

app_name = "open311"
FORMAT = r"\.(?P<format>json|xml)$"
urlpatterns = [
    re_path(r"^discovery" + FORMAT, views.DiscoveryView.as_view(), name="discovery"),
    re_path(r"^v2/services" + FORMAT, views.ServiceListView.as_view(), name="services"),
    re_path(
        r"^v2/services/(?P<service_code>[^/]{1,40})" + FORMAT,
        views.ServiceDefinitionView.as_view(),
        name="service",
    ),
    re_path(r"^v2/requests" + FORMAT, views.RequestsView.as_view(), name="requests"),
    re_path(
        r"^v2/requests/(?P<service_request_id>[^/]{1,40})" + FORMAT,
        views.RequestView.as_view(),
        name="request",
    ),
    re_path(
        r"^v2/tokens/(?P<token>[A-Za-z0-9_.:-]{1,80})" + FORMAT,
        views.TokenView.as_view(),
        name="token",
    ),
    re_path(r"^.*$", views.UnknownView.as_view(), name="unknown"),
]
