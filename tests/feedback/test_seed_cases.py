import pytest
from django.db.models import Count

from feedback import demo
from feedback.audit import verify_chain
from feedback.models import Case, CaseEvent, Channel, Kind, PublicOutcome, Status

pytestmark = pytest.mark.django_db


def test_demo_cases_cover_every_kind_status_channel_and_level_through_the_workflow(demo_content):
    assert demo.seed_cases() == 300
    assert demo.seed_cases() == 0  # idempotent

    def values(field):
        return set(Case.objects.values_list(field, flat=True))

    assert values("kind") == set(Kind.values)
    assert values("status") == set(Status.values)
    assert values("channel") == set(Channel.values)
    assert {0, 1, 2, 3} <= values("escalation_level")
    # Every status change came from a workflow transition, which leaves an event and history.
    transitions = CaseEvent.objects.filter(type="transition").count()
    assert transitions > 600
    per_case = Case.history.values("id").annotate(n=Count("history_id"))
    assert min(row["n"] for row in per_case) >= 1
    assert verify_chain().ok
    # At least 120 public outcomes, through the workflow, across institutions, kinds and both
    # languages; some had personal data that the scrubber took out.
    public = PublicOutcome.objects.public()
    assert public.count() >= 120
    assert public.values("case__institution").distinct().count() >= 10
    assert {o.case.kind for o in public.select_related("case")} == set(Kind.values)
    swahili = public.filter(language="sw").count()
    assert 0.35 < swahili / public.count() < 0.65
    assert public.exclude(removed=[]).count() >= 20
    assert not public.filter(summary__contains="+255").exists()
    assert CaseEvent.objects.filter(action="approve_outcome").count() == public.count()
