"""The Swagger UI page of /api/v1/docs/ under the public Content-Security-Policy, unchanged.

drf-spectacular's split view serves the page's start-up script as a file of our own origin
(?script), so the page runs no inline script; our template replaces its inline <style> with
site/static/css/swagger-ui-page.css. Swagger UI itself then needs nothing more: opened in
Chromium, expanding operations, "Try it out" and "Execute" and the schemas report no violation
(it sets styles through the DOM's style properties, which CSP does not govern), so this view
gets no per-view policy (no csp_update).
"""

from drf_spectacular.views import SpectacularSwaggerSplitView


class ApiDocsView(SpectacularSwaggerSplitView):
    template_name = "api/swagger_ui.html"
