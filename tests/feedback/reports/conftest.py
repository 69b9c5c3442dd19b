"""Seeded cases of a known shape for the reports, moved through the workflow itself."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from feedback import workflow
from feedback.models import Channel, Institution, Kind
from tests.feedback.factories import actor, submit_case, water_service

DAR = ZoneInfo("Africa/Dar_es_Salaam")
FROM, TO = date(2026, 10, 1), date(2026, 11, 30)
NOW = datetime(2026, 12, 15, 12, 0, tzinfo=DAR)


def at(month, day, hour=9, minute=0, year=2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=DAR)


def water(when, kind=Kind.COMPLAINT, channel=Channel.WEB):
    return submit_case(now=when, kind=kind, channel=channel).case


def seed_cases() -> dict[str, object]:
    """Eleven cases in DAWASA's subtree in October and November 2026 (A..K), three outside
    the scope or the period (X1..X3). Water bills (unit 1111) promise 1 working day to
    acknowledge and 5 to resolve a complaint, 1 and 7 for other kinds; 14 October is a public
    holiday. The comments say what each case is there to exercise."""
    admin = actor("admin")
    cases = {}

    def citizen(case):
        return workflow.citizen_of(case)

    # A: acknowledged and resolved within the charter, rated 4, closed by the citizen.
    c = water(at(10, 5))
    c = workflow.acknowledge(c, by=admin, now=at(10, 5, 10))
    c = workflow.start(c, by=admin, now=at(10, 5, 11))
    c = workflow.resolve(c, by=admin, response="Bill corrected.", now=at(10, 7, 15))
    c = workflow.rate(c, by=citizen(c), score=4, now=at(10, 8))
    cases["A"] = workflow.close(c, by=citizen(c), now=at(10, 8, 10))

    # B: an inquiry acknowledged late; an interim reply kept; resolved late by the charter;
    # rated 2 (disputed).
    c = water(at(10, 6), kind=Kind.INQUIRY)
    c = workflow.acknowledge(c, by=admin, now=at(10, 9))
    c = workflow.start(c, by=admin, now=at(10, 9, 10))
    c = workflow.interim_reply(
        c, by=admin, message="Meter test.", expected_by=date(2026, 10, 23), now=at(10, 13)
    )
    c = workflow.resolve(c, by=admin, response="Meter replaced.", now=at(10, 20))
    cases["B"] = workflow.rate(c, by=citizen(c), score=2, now=at(10, 21))

    # C: resolved late, reopened by the citizen (escalates to DAWASA), resolved again: the
    # first resolution is the one measured.
    c = water(at(10, 12))
    c = workflow.acknowledge(c, by=admin, now=at(10, 12, 10))
    c = workflow.start(c, by=admin, now=at(10, 12, 11))
    c = workflow.resolve(c, by=admin, response="Checked.", now=at(10, 22))
    c = workflow.reopen(c, by=citizen(c), reason="Still wrong.", now=at(10, 23))
    c = workflow.start(c, by=admin, now=at(10, 23, 10))
    cases["C"] = workflow.resolve(c, by=admin, response="Refunded.", now=at(10, 26))

    # D: never acknowledged: overdue.
    cases["D"] = water(at(11, 2), channel=Channel.SMS)

    # E: acknowledged, then referred up to DAWASA itself, acknowledged again and resolved.
    c = water(at(11, 3))
    c = workflow.acknowledge(c, by=admin, now=at(11, 3, 10))
    dawasa = Institution.objects.get(short_code="111")
    c = workflow.refer(c, by=admin, to=dawasa, reason="Billing is central.", now=at(11, 4))
    c = workflow.acknowledge(c, by=admin, now=at(11, 4, 10))
    c = workflow.start(c, by=admin, now=at(11, 4, 11))
    cases["E"] = workflow.resolve(c, by=admin, response="Done.", now=at(11, 6))

    # F: closed, appealed, appeal upheld: open again at the level above, overdue by NOW.
    c = water(at(11, 4))
    c = workflow.acknowledge(c, by=admin, now=at(11, 4, 10))
    c = workflow.start(c, by=admin, now=at(11, 4, 11))
    c = workflow.resolve(c, by=admin, response="Done.", now=at(11, 5))
    c = workflow.close(c, by=citizen(c), now=at(11, 6))
    c = workflow.appeal(c, by=citizen(c), reason="Not done.", now=at(11, 9))
    cases["F"] = workflow.uphold_appeal(c, by=admin, response="Agreed.", now=at(11, 10))

    # G: closed, appealed, appeal dismissed.
    c = water(at(11, 5), channel=Channel.USSD)
    c = workflow.acknowledge(c, by=admin, now=at(11, 5, 10))
    c = workflow.start(c, by=admin, now=at(11, 5, 11))
    c = workflow.resolve(c, by=admin, response="Done.", now=at(11, 6))
    c = workflow.close(c, by=citizen(c), now=at(11, 9))
    c = workflow.appeal(c, by=citizen(c), reason="Not done.", now=at(11, 10))
    cases["G"] = workflow.dismiss_appeal(c, by=admin, response="It was.", now=at(11, 11))

    # H: rejected before acknowledgement: in no deadline share.
    c = water(at(11, 6))
    cases["H"] = workflow.reject(
        c, by=admin, reason="out_of_scope", explanation="Private.", now=at(11, 6, 10)
    )

    # I: a suggestion to DAWASA itself (no service: the default charter, 3 and 20 days),
    # by SMS, acknowledged and escalated to the ministry.
    c = submit_case(
        now=at(11, 9), kind=Kind.SUGGESTION, channel=Channel.SMS, service=None, institution=dawasa
    ).case
    c = workflow.acknowledge(c, by=admin, now=at(11, 9, 10))
    cases["I"] = workflow.escalate(c, by=admin, reason="Policy.", now=at(11, 10))

    # J: an interim reply broken (resolved after the date it named), rated 5.
    c = water(at(11, 10), channel=Channel.USSD)
    c = workflow.acknowledge(c, by=admin, now=at(11, 10, 10))
    c = workflow.start(c, by=admin, now=at(11, 10, 11))
    c = workflow.interim_reply(
        c, by=admin, message="Parts.", expected_by=date(2026, 11, 20), now=at(11, 12)
    )
    c = workflow.resolve(c, by=admin, response="Fixed.", now=at(11, 24))
    cases["J"] = workflow.rate(c, by=citizen(c), score=5, now=at(11, 25))

    # K: the last evening of the period (20:30 UTC): inside it.
    cases["K"] = water(at(11, 30, 23, 30))

    # Outside: the evening before the period, the first minutes after it, another branch.
    cases["X1"] = water(at(9, 30, 23, 30))
    cases["X2"] = water(at(12, 1, 0, 30))
    nhif = Institution.objects.get(short_code="121")
    cases["X3"] = submit_case(now=at(10, 20), service=nhif.services.get(), institution=nhif).case
    return cases


@pytest.fixture
def seeded(db):
    return seed_cases()


@pytest.fixture
def dawasa(db):
    return Institution.objects.get(short_code="111")


@pytest.fixture
def water_unit(db):
    return water_service().institution
