"""seed_demo is for demonstrations only, and production code leans on no test tooling."""

import ast
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import CommandError, call_command

from feedback import demo, sms
from feedback.models import Case
from tests.feedback.factories import submit_case

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_seed_demo_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--i-know-this-is-not-production"):
        call_command("seed_demo")
    assert not Case.objects.exists()


def test_demo_cases_notify_nobody_and_later_submissions_still_notify(
    demo_content, django_capture_on_commit_callbacks
):
    sms.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert demo.seed_cases(count=4) == 4
    assert (sms.outbox, mail.outbox) == ([], [])
    with django_capture_on_commit_callbacks(execute=True):
        submit_case()  # after seeding, the real task backend is back
    assert len(sms.outbox) == 1


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_production_code_imports_no_django_test_helpers():
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("feedback", "pages", "search", "config")
        for path in (ROOT / folder).rglob("*.py")
        if any(name == "django.test" or name.startswith("django.test.") for name in _imports(path))
    ]
    assert offenders == []


def test_demo_outcomes_are_published_and_searchable(demo_content, settings):
    from feedback.models import PublicOutcome
    from search.engines import get_engine
    from search.verification import verify

    settings.ELASTICSEARCH_URL = ""  # the embedded engine; Elasticsearch has its own suite
    demo.seed_cases(count=40)
    published = PublicOutcome.objects.public().count()
    assert published > 0
    result = verify(get_engine())
    assert (result.checked, result.clean) == (published, True)
