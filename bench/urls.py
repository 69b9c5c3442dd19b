"""The benchmark's URLconf: production's URLs plus the framework floor (bench/pages.py).

Mounted only by bench/pages_settings.py, never by config.urls: the floor is a measuring
stick, not a page of the site.
"""

from django.http import HttpResponse
from django.urls import path

from config.urls import urlpatterns as production_urlpatterns

FLOOR_PATH = "bench/floor"


def floor(request):
    """A fixed short answer through the whole middleware stack: the most any page could do."""
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")


urlpatterns = [path(FLOOR_PATH, floor, name="bench_floor"), *production_urlpatterns]
