"""Content-Security-Policy per path: the strict public policy from settings, Wagtail's admin
its own (django-csp's middleware, extended: Wagtail's views cannot be decorated one by one).
The Swagger UI page of /api/v1/docs/ needs nothing beyond the public policy (config.api_docs).

The public policy (settings.CONTENT_SECURITY_POLICY) has no 'unsafe-inline' and no
'unsafe-eval'. ADMIN_POLICY below is the strictest Wagtail 8.0 works under, measured by opening
its pages (login, dashboard, explorer, the editor of a HomePage and of a ServicePage with their
rich text, images, documents, the case inbox and case page, reports, users and settings) in
Chromium with the policy on and collecting the violations it reports; tests/config/test_csp.py
does it again on every run. What Wagtail needs beyond the public policy, and nothing more:
- scripts: no 'unsafe-inline', no 'unsafe-eval' (Draftail, the rich text editor, runs without
  eval; Wagtail's page data travels in <script type="application/json"> blocks, which are data).
  The one inline script Wagtail writes is its date picker's start-up call, after each date
  input: `initDateChooser("id_x", {"dayOfWeekStart": 0, "format": "Y-m-d"});` (listing filters,
  the editor's scheduled publishing). The middleware allows exactly those, by the SHA-256 of
  each one found in the answer (admin_script_hashes): an injected script of any other shape
  still does not run.
- style elements: 'unsafe-inline' in style-src-elem only. Draftail writes <style> elements at
  run time (list depth and heading counters, one per editor configuration), so no fixed hash
  covers them. Style attributes stay blocked (style-src 'self' governs them: Wagtail needs
  none), and CSS cannot run script.
- frames: the editor's preview pane is an iframe of an admin URL, so the admin may be framed by
  its own origin (frame-ancestors 'self'), and so may the preview itself (PREVIEW_REPLACE);
  the public pages may be framed by nobody.
- images: data: (icons Wagtail's CSS inlines) and blob: (the thumbnail of an image being
  uploaded, shown before it is sent). Gravatar and Wagtail's update check
  are switched off in settings (WAGTAIL_GRAVATAR_PROVIDER_URL, WAGTAIL_ENABLE_UPDATE_CHECK), so
  nothing leaves our origin.
"""

import base64
import hashlib
import re

from csp.middleware import CSPMiddleware, PolicyParts

ADMIN_PATH_PREFIX = "/admin/"

ADMIN_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "style-src-elem": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'self'"],
}
# The editor's preview: Wagtail renders the public page through the middleware again, for a
# dummy request with the page's own path (wagtail.models.preview, request.is_dummy). It keeps
# the public policy, except that the admin page around it may frame it.
PREVIEW_REPLACE = {"frame-ancestors": ["'self'"]}

# Wagtail's date, time and date-time widgets (wagtailadmin/widgets/*_input.html): the call and
# its JSON options, nothing else (no nested braces, no markup, an id of word characters).
WAGTAIL_DATE_PICKER_SCRIPT = re.compile(
    r"<script>(init(?:Date|Time|DateTime)Chooser\(\"[\w-]+\", \{[^{}<>]*\}\);)</script>"
)


def admin_script_hashes(html: str) -> list[str]:
    """The CSP source expressions ('sha256-...') of the date picker calls in an admin page."""
    found = dict.fromkeys(WAGTAIL_DATE_PICKER_SCRIPT.findall(html))
    return [
        f"'sha256-{base64.b64encode(hashlib.sha256(code.encode()).digest()).decode()}'"
        for code in found
    ]


class PathCSPMiddleware(CSPMiddleware):
    """django-csp's middleware; under /admin/ it starts from ADMIN_POLICY instead of the public
    one, plus the hashes of the date picker calls in that answer (a view's own @csp_update or
    @csp_replace still applies on top)."""

    def get_policy_parts(self, request, response, report_only=False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and getattr(request, "is_dummy", False) and parts.replace is None:
            parts.replace = PREVIEW_REPLACE
            return parts
        if (
            report_only
            or parts.config is not None
            or not request.path_info.startswith(ADMIN_PATH_PREFIX)
        ):
            return parts
        parts.config = ADMIN_POLICY
        if not response.streaming and "html" in response.get("Content-Type", ""):
            hashes = admin_script_hashes(response.content.decode(response.charset, "replace"))
            if hashes:
                update = dict(parts.update or {})
                update["script-src"] = [*update.get("script-src", []), *hashes]
                parts.update = update
        return parts
