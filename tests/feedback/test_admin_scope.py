"""The Wagtail admin answers only what a staff member's scope allows, whatever the URL asks.

Listings and case URLs are found by walking the URL resolver, so a listing or a case URL
added later is covered without touching this file.
"""

from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from wagtail.admin.views.generic.base import BaseListingView

from feedback import workflow
from feedback.access import cases_visible_to
from feedback.models import Case, CharterTerm, Institution, Service, Status
from tests.feedback.factories import case_in, submit_case, user

pytestmark = pytest.mark.django_db

ROLES = ["admin", "editor", "officer", "lead", "oversight", "agent", "auditor"]

# Lookups no listing declares: were any of them applied, the rows would change (each narrows
# to nothing or to a few rows) or the page would fail.
HOSTILE = {
    "cases__contact__phone__startswith": "+2557",
    "pin_digest__startswith": "zz",
    "events__body__icontains": "no such words anywhere",
    "events__is_public": "0",
    "institution__cases__contact__name__icontains": "zz",
    "cases__events__actor__password__startswith": "zz",
    "contact__phone__startswith": "+9",
    "service__cases__pin_digest__startswith": "zz",
    "utm_source": "x",
    "o": "-99.abc.0",
    "ordering": "contact__phone",
    "p": "abc",
}
# A case id under any of these names is a case's id, wherever the URL lives.
CASE_KWARGS = {"pk", "case_pk", "case_id", "case"}


@dataclass
class AdminURL:
    path: str
    name: str
    model: type | None
    kwargs: tuple[str, ...]
    view_class: type | None
    initkwargs: dict


def admin_urls() -> list[AdminURL]:
    """Every named URL pattern under the admin, with what its view says it serves."""
    found = []

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = ":".join(filter(None, [namespace, pattern.namespace]))
                walk(pattern.url_patterns, inner or None)
            elif isinstance(pattern, URLPattern) and pattern.name:
                name = ":".join(filter(None, [namespace, pattern.name]))
                kwargs = tuple(pattern.pattern.regex.groupindex)
                view_class = getattr(pattern.callback, "view_class", None)
                initkwargs = getattr(pattern.callback, "view_initkwargs", {})
                model = initkwargs.get("model") or getattr(view_class, "model", None)
                placeholder = dict.fromkeys(kwargs, 999999)
                try:
                    path = reverse(name, kwargs=placeholder)
                except Exception:  # a pattern whose converter takes no number: not a case URL
                    continue
                if path.startswith("/admin/"):
                    found.append(AdminURL(path, name, model, kwargs, view_class, initkwargs))

    walk(get_resolver().url_patterns, None)
    return found


def listings() -> list[AdminURL]:
    """Admin listings: list views without arguments, and URLs named as an index."""
    return sorted(
        (
            url
            for url in admin_urls()
            if not url.kwargs
            and (
                (url.view_class and issubclass(url.view_class, BaseListingView))
                or url.name.rsplit(":", 1)[-1].endswith(("index", "index_results"))
            )
        ),
        key=lambda url: url.path,
    )


def listing_urls() -> list[str]:
    return [url.path for url in listings()]


def declares_export(url: AdminURL) -> bool:
    return bool(url.initkwargs.get("list_export") or getattr(url.view_class, "list_export", None))


def case_url_patterns() -> list[AdminURL]:
    """Admin URLs that take a case's id: the case viewset's, and any under /admin/feedback/case/."""
    return [
        url
        for url in admin_urls()
        if url.kwargs
        and (
            url.model is Case
            or url.path.startswith("/admin/feedback/case/")
            or any("case" in kwarg for kwarg in url.kwargs)
        )
    ]


def case_url(url: AdminURL, case: Case) -> str:
    return reverse(url.name, kwargs=dict.fromkeys(url.kwargs, case.pk))


def rows(response) -> list | None:
    """The objects a listing shows, or None where the page lists nothing (a redirect, 403)."""
    if response.status_code != 200 or response.context is None:
        return None
    try:
        objects = response.context["object_list"]
    except KeyError:
        return None
    return [(type(obj).__name__, getattr(obj, "pk", obj)) for obj in objects]


def not_found(client: Client, path: str, post: dict | None = None) -> bool:
    """Whether the admin says "not found" at once: the same for a case out of scope as for no
    case at all (config.language keeps a 404 under /admin/ from being retried under /en/)."""
    response = client.get(path) if post is None else client.post(path, post)
    return response.status_code == 404


def staff_client(username: str) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user(username))
    return client


@pytest.fixture
def two_institutions():
    """A case at DAWASA (under institution 111) and one at institution 121, with contacts."""
    water = case_in(Status.IN_PROGRESS)
    nhif = submit_case(
        institution=Institution.objects.get(short_code="121"),
        service=None,
        subject="Claim refused at the hospital",
        contact=workflow.ContactDetails(phone="+255754000111", name="Zawadi", notify_by="sms"),
    ).case
    return water, nhif


def test_listings_and_case_urls_are_found_by_walking_the_resolver():
    """The walk is not vacuous: it finds the registry's listings and its case URLs."""
    listings = listing_urls()
    for path in [
        "/admin/feedback/case/",
        "/admin/feedback/institution/",
        "/admin/feedback/service/",
    ]:
        assert path in listings
    names = {url.name for url in case_url_patterns()}
    assert "feedback_case_workspace" in names
    assert any(name.endswith("inspect") for name in names)


@pytest.mark.parametrize("username", ROLES)
def test_every_listing_ignores_undeclared_lookups_for_every_role(two_institutions, username):
    """Each listing shows the same rows with hostile lookups as without, never a 500,
    and never a case outside the role's scope."""
    water, nhif = two_institutions
    client = staff_client(username)
    visible = set(cases_visible_to(user(username)).values_list("pk", flat=True))
    # Not vacuous: whoever may see the water case finds it in the case listing.
    if water.pk in visible:
        assert ("Case", water.pk) in rows(client.get("/admin/feedback/case/"))
    for path in listing_urls():
        plain = client.get(path)
        hostile = client.get(path, HOSTILE)
        assert plain.status_code < 500, (username, path, plain.status_code)
        assert hostile.status_code < 500, (username, path, hostile.status_code)
        assert rows(hostile) == rows(plain), (username, path)
        shown_cases = {pk for model, pk in rows(hostile) or [] if model == "Case"}
        assert shown_cases <= visible, (username, path)
        if nhif.pk not in visible:
            assert nhif.reference not in hostile.content.decode(), (username, path)


@pytest.mark.parametrize(
    ("username", "sees_water"),
    [("officer", True), ("lead", True), ("oversight", True), ("agent", False), ("editor", False)],
)
def test_every_case_url_is_a_404_outside_the_users_scope(two_institutions, username, sees_water):
    """Every admin URL taking a case id, found by walking the resolver, answers 404 for a case
    the user may not see (GET and POST alike), and opens for one they may."""
    water, nhif = two_institutions
    client = staff_client(username)
    for url in case_url_patterns():
        path = case_url(url, nhif)
        assert not_found(client, path), (username, path)
        assert not_found(client, path, {"action": "reject", "text": "x"}), (username, path)
        if len(url.kwargs) == 1:
            own = case_url(url, water)
            if sees_water:
                assert client.get(own).status_code == 200, (username, own)
            else:
                assert not_found(client, own), (username, own)
    nhif.refresh_from_db()
    assert nhif.status == Status.SUBMITTED


@pytest.mark.parametrize("username", ["admin", "auditor"])
def test_roles_that_see_everything_open_every_case_url(two_institutions, username):
    _water, nhif = two_institutions
    client = staff_client(username)
    for url in case_url_patterns():
        if len(url.kwargs) == 1:
            assert client.get(case_url(url, nhif)).status_code == 200, (username, url.name)


def test_a_listing_that_declares_no_export_columns_does_not_export(two_institutions):
    """Otherwise `?export=csv` streams the whole table, unpaginated, in columns nobody chose.
    (Wagtail's own listings, such as collections, do so too: upstream, and nothing secret.)"""
    client = staff_client("admin")
    registry = [url for url in listings() if url.path.startswith("/admin/feedback/")]
    quiet = [url.path for url in registry if not declares_export(url)]
    assert "/admin/feedback/institution/" in quiet
    for path in quiet:
        response = client.get(path, {"export": "csv"})
        assert response.status_code < 500, path
        assert not response.get("Content-Type", "").startswith("text/csv"), path


def test_a_case_id_that_is_not_a_number_is_a_404():
    client = staff_client("admin")
    assert not_found(client, "/admin/feedback/case/inspect/abc/")
    assert not_found(client, "/admin/feedback/case/abc/workspace/")


def test_declared_filters_and_search_still_narrow_the_case_listing(two_institutions):
    water, nhif = two_institutions
    client = staff_client("auditor")
    listed = rows(client.get("/admin/feedback/case/", {"status": Status.SUBMITTED}))
    assert ("Case", nhif.pk) in listed and ("Case", water.pk) not in listed
    listed = rows(client.get("/admin/feedback/case/", {"q": water.reference}))
    assert listed == [("Case", water.pk)]


def test_case_listing_offers_the_case_page_and_no_form_that_bypasses_the_workflow(
    two_institutions,
):
    water, _nhif = two_institutions
    client = staff_client("admin")  # a superuser holds every Django permission
    html = client.get("/admin/feedback/case/").content.decode()
    assert reverse("feedback_case_workspace", args=[water.pk]) in html
    assert not_found(client, "/admin/feedback/case/new/")
    assert not_found(client, f"/admin/feedback/case/edit/{water.pk}/")
    assert not_found(client, f"/admin/feedback/case/delete/{water.pk}/")


def test_registry_tables_are_read_only_for_staff_below_admin():
    institution = Institution.objects.get(short_code="111")
    client = staff_client("officer")
    assert client.get("/admin/feedback/institution/").status_code == 200
    # Wagtail answers a refused permission with a redirect to the dashboard.
    denied = ("/admin/", 302)
    edit = client.get(f"/admin/feedback/institution/edit/{institution.pk}/")
    assert (edit.get("Location"), edit.status_code) == denied
    add = client.get("/admin/feedback/service/new/")
    assert (add.get("Location"), add.status_code) == denied
    admin = staff_client("admin")
    assert admin.get(f"/admin/feedback/institution/edit/{institution.pk}/").status_code == 200


def test_a_lead_keeps_the_charters_of_their_tree_and_no_other():
    water = Service.objects.get(institution__short_code="1111", code="1")
    nhif = Service.objects.get(institution__short_code="121", code="1")
    lead = staff_client("lead")  # DAWASA (111)
    form = lead.get(f"/admin/feedback/service/edit/{water.pk}/")
    assert form.status_code == 200
    offered = form.context["form"].fields["institution"].queryset
    assert set(offered.values_list("short_code", flat=True)) == {"111", "1111"}
    data = {
        "institution": water.institution_id,
        "name": water.name,
        "name_sw": water.name_sw,
        "code": water.code,
        "description": water.description,
        "description_sw": water.description_sw,
        "acknowledge_days": 1,
        "resolve_days": 9,
        "reopen_window_days": water.reopen_window_days,
        "is_active": "on",
    }
    assert lead.post(f"/admin/feedback/service/edit/{water.pk}/", data).status_code == 302
    water.refresh_from_db()
    assert water.resolve_days == 9
    assert water.history.latest().history_user == user("lead")  # in the audit chain
    # Another institution's charter: not found, and not changed by a forged post.
    assert lead.get(f"/admin/feedback/service/edit/{nhif.pk}/").status_code == 404
    forged = {**data, "institution": nhif.institution_id, "code": nhif.code}
    assert lead.post(f"/admin/feedback/service/edit/{nhif.pk}/", forged).status_code == 404
    nhif.refresh_from_db()
    assert nhif.resolve_days == 10
    # A charter term for another institution's service is not on offer either.
    term = {"service": nhif.pk, "kind": "inquiry", "acknowledge_days": 1, "resolve_days": 2}
    assert lead.post("/admin/feedback/charterterm/new/", term).status_code == 200  # form error
    assert not CharterTerm.objects.filter(service=nhif).exists()
    term["service"] = water.pk
    assert lead.post("/admin/feedback/charterterm/new/", term).status_code == 302
    assert CharterTerm.objects.filter(service=water, kind="inquiry").exists()
    # Officers read charters; they do not keep them.
    officer_edit = staff_client("officer").get(f"/admin/feedback/service/edit/{water.pk}/")
    assert (officer_edit.status_code, officer_edit["Location"]) == (302, "/admin/")


@pytest.mark.parametrize("prefix", ["+25575", "+25571", "+1"])
def test_officer_cannot_probe_citizens_phones_through_the_institution_listing(
    two_institutions, prefix
):
    """The attack in issue 13: narrowing institutions by their cases' phone numbers, one
    digit at a time. The lookup is ignored, so every prefix lists the same institutions."""
    client = staff_client("officer")
    plain = rows(client.get("/admin/feedback/institution/"))
    probed = client.get(
        "/admin/feedback/institution/", {"cases__contact__phone__startswith": prefix}
    )
    assert probed.status_code == 200
    assert rows(probed) == plain
