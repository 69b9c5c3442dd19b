"""The list of entry points the hostile corpus covers: a new public URL or citizen action
fails here until it is added to the corpus (and to this list)."""

from django.urls import URLPattern, URLResolver, get_resolver

from feedback.workflow import ACTIONS
from pages.models import FeedbackPage

# Every public route, as Django spells its pattern, with the test file that sends it hostile
# input. Wagtail's own admin and document URLs are Wagtail's; our admin views are in test_staff.
COVERED = {
    "healthz": "test_public_web (no parameters read)",
    "admin/": "test_staff",
    "documents/": "Wagtail's own",
    "i18n/": "test_public_web: the language switch",
    "api/v1/": "test_api (every route, listed there)",
    "^api/": "test_api (unknown API URLs)",
    "open311/": "test_open311",
    "channels/": "test_callbacks",
    # Inside i18n_patterns (/en/, /sw/):
    "audit-chain/": "test_public_web",
    "audit-chain.txt": "test_public_web",
    "": "search.urls and Wagtail's pages: test_public_web",
    "performance/": "test_public_web",
}
CHANNEL_ROUTES = {"ussd/", "ussd/events/", "sms/", "sms/delivery/"}
OPEN311_ROUTES = {"discovery", "services", "service", "requests", "request", "token", "unknown"}
SEARCH_ROUTES = {"search", "download_csv", "download_json", "fields", "outcome"}
PERFORMANCE_ROUTES = {"index", "ranking", "by_id", "institution"}
FEEDBACK_PAGE_ROUTES = {"landing", "new", "review", "track", "track_case", "new_pin", "case_data"}
CITIZEN_ACTIONS = {"close", "reopen", "dispute", "appeal", "add_information", "rate"}


def _patterns(patterns):
    for entry in patterns:
        if (
            isinstance(entry, URLResolver)
            and entry.pattern.__class__.__name__ == "LocalePrefixPattern"
        ):
            yield from _patterns(entry.url_patterns)
        else:
            yield entry


def _resolver(prefix: str) -> URLResolver:
    return next(p for p in _patterns(get_resolver().url_patterns) if str(p.pattern) == prefix)


def test_every_top_level_route_is_covered():
    found = {str(p.pattern) for p in _patterns(get_resolver().url_patterns)}
    found = {route for route in found if not route.startswith("^media")}
    assert found == set(COVERED)


def test_every_gateway_callback_is_covered():
    assert {str(p.pattern) for p in _resolver("channels/").url_patterns} == CHANNEL_ROUTES


def test_every_open311_route_is_covered():
    assert {p.name for p in _resolver("open311/").url_patterns} == OPEN311_ROUTES


def test_every_search_and_performance_route_is_covered():
    names = {
        p.name
        for p in _patterns(get_resolver().url_patterns)
        if str(p.pattern) == "" and isinstance(p, URLResolver)
        for p in p.url_patterns
        if isinstance(p, URLPattern)
    }
    assert names >= SEARCH_ROUTES
    assert {p.name for p in _resolver("performance/").url_patterns} == PERFORMANCE_ROUTES


def test_every_feedback_page_route_is_covered():
    routes = {
        name
        for name in dir(FeedbackPage)
        if hasattr(getattr(FeedbackPage, name), "_routablepage_routes")
    }
    assert routes - {"index_route"} == FEEDBACK_PAGE_ROUTES  # index_route: Wagtail's default


def test_every_citizen_action_is_covered():
    assert {
        name for name, action in ACTIONS.items() if "citizen" in action.roles
    } == CITIZEN_ACTIONS
