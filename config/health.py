"""/healthz: whether the database, the search engine and the task queue can serve requests."""

from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends

from search.engines import elasticsearch


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


@never_cache
def healthz(request):
    report = {}
    for name, check in CHECKS.items():
        try:
            report[name] = check()
        except Exception as error:  # a health check reports failures, it never raises them
            report[name] = {"ok": False, "error": f"{type(error).__name__}: {error}"}
    healthy = all(state["ok"] for state in report.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", **report}, status=200 if healthy else 503
    )
