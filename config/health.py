"""/healthz: whether the database, the search engine and the task queue can serve requests.

The public (a load balancer, a monitor, anyone) reads only "ok" (200) or "fail" (503) as plain
text: no vendor, engine, counts or error text. The details (JSON) go to a signed-in staff
member with a role, and to a request from this machine itself (a monitor on the host), where
"this machine" is judged as feedback.tracking.client_address judges addresses: a reverse proxy
on the same host forwards everyone's requests from 127.0.0.1, so a request that came through a
proxy (any forwarding header) is local only if the address our trusted proxies report is.
"""

import ipaddress

from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends

from feedback.access import role_of
from feedback.tracking import client_address
from search.engines import elasticsearch

# Headers a reverse proxy sets: with any of them, REMOTE_ADDR is the proxy, not the client.
FORWARDING_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_FORWARDED")


def database_state() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"ok": True, "vendor": connection.vendor}


def search_state() -> dict:
    if not elasticsearch.is_configured():
        return {"ok": True, "engine": "database"}
    return {"ok": True, "engine": "elasticsearch", **elasticsearch.cluster_health()}


def task_queue_state() -> dict:
    backend = type(task_backends[DEFAULT_TASK_BACKEND_ALIAS]).__name__
    if backend != "DatabaseBackend":
        return {"ok": True, "backend": backend}
    from django_tasks_db.models import DBTaskResult

    ready = DBTaskResult.objects.ready()
    oldest = ready.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
    return {
        "ok": True,
        "backend": backend,
        "waiting": ready.count(),
        "oldest_waiting_seconds": int((timezone.now() - oldest).total_seconds()) if oldest else 0,
    }


CHECKS = {"database": database_state, "search": search_state, "tasks": task_queue_state}


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def is_local_request(request) -> bool:
    """Whether the request comes from this machine, not merely through a proxy running on it."""
    if not _is_loopback(request.META.get("REMOTE_ADDR", "")):
        return False
    if not any(request.META.get(header) for header in FORWARDING_HEADERS):
        return True
    # Through a proxy: local only if our trusted proxies say the client itself was local.
    return settings.TRUSTED_PROXY_COUNT > 0 and _is_loopback(client_address(request))


def may_see_details(request) -> bool:
    user = getattr(request, "user", None)
    if user is not None and user.is_active and role_of(user) is not None:
        return True
    return is_local_request(request)


def collect() -> dict:
    """Each component's state; a failure is named by its class only (its message may quote a
    connection string with a password)."""
    report = {}
    for name, check in CHECKS.items():
        try:
            report[name] = check()
        except Exception as error:  # a health check reports failures, it never raises them
            report[name] = {"ok": False, "error": type(error).__name__}
    return report


@never_cache
def healthz(request):
    report = collect()
    healthy = all(state["ok"] for state in report.values())
    status = 200 if healthy else 503
    if may_see_details(request):
        return JsonResponse({"status": "ok" if healthy else "unavailable", **report}, status=status)
    return HttpResponse(
        "ok" if healthy else "fail", status=status, content_type="text/plain; charset=utf-8"
    )
