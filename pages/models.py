"""Wagtail page types that editors publish in English and Swahili."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path, re_path
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.search import index

from config.page_cache import PublicPageMixin, mark_public_page
from feedback import views as feedback_views
from feedback.forms import ReferenceForm


class HomePage(PublicPageMixin, Page):
    """The root of one language's page tree."""

    intro = models.TextField(_("introduction"), blank=True)
    body = RichTextField(_("body"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("home page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        # ServiceIndexPage.objects already yields the specific pages: no .specific() round trip.
        context["service_indexes"] = ServiceIndexPage.objects.child_of(self).live().public()
        context["feedback_page"] = feedback_page_in(self.locale_id)
        context["track_form"] = ReferenceForm()
        return context


class ServiceIndexPage(PublicPageMixin, Page):
    """Lists the service pages beneath it."""

    intro = RichTextField(_("introduction"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    subpage_types = ["pages.ServicePage"]

    class Meta:
        verbose_name = _("service index page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["services"] = (
            ServicePage.objects.child_of(self)
            .live()
            .public()
            .select_related("service", "service__institution")
            .order_by("title")
        )
        return context


class ServicePage(PublicPageMixin, Page):
    """Guidance about one public service, with its charter times and a way to give feedback."""

    service = models.ForeignKey(
        "feedback.Service",
        on_delete=models.PROTECT,
        related_name="pages",
        verbose_name=_("service"),
    )
    summary = models.TextField(_("summary"), blank=True)
    body = RichTextField(_("guidance"), blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("service"),
        FieldPanel("summary"),
        FieldPanel("body"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("summary"), index.SearchField("body")]
    parent_page_types = ["pages.ServiceIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("service page")

    @property
    def institution(self):
        return self.service.institution

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        feedback_page = feedback_page_in(self.locale_id)
        if feedback_page is not None:
            context["feedback_url"] = (
                f"{feedback_page.get_url(request)}new/?service={self.service_id}"
            )
        return context


def feedback_page_in(locale_id: int) -> "FeedbackPage | None":
    """The live feedback page of a language's tree, found by the locale's id (the page's own
    locale_id: no query for the Locale row)."""
    return FeedbackPage.objects.live().filter(locale_id=locale_id).first()


class StandardPage(PublicPageMixin, Page):
    """A plain page of text: about, privacy, help."""

    intro = models.TextField(_("introduction"), blank=True)
    body = RichTextField(_("body"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]

    class Meta:
        verbose_name = _("standard page")


class FeedbackPage(RoutablePageMixin, Page):
    """Where citizens give feedback and track it; editors place it and word its texts."""

    intro = RichTextField(_("introduction"), blank=True)
    form_intro = RichTextField(
        _("text above the feedback form"),
        blank=True,
        help_text=_("For example: what happens next, and how long it takes."),
    )
    track_intro = RichTextField(_("text above the tracking form"), blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        FieldPanel("form_intro"),
        FieldPanel("track_intro"),
    ]
    subpage_types: list[str] = []
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("feedback page")

    @path("")
    def landing(self, request):
        # The same for everyone (the shared page cache); the other routes are each citizen's.
        response = self.render(
            request,
            context_overrides={"track_form": ReferenceForm()},
            template="feedback/landing.html",
        )
        return mark_public_page(self, request, response)

    @path("new/")
    def new(self, request):
        return feedback_views.new_feedback(request, self)

    @path("new/review/")
    def review(self, request):
        return feedback_views.review(request, self)

    @path("track/")
    def track(self, request):
        return feedback_views.track(request, self)

    @re_path(r"^track/(?P<reference>[^/]+)/$")
    def track_case(self, request, reference):
        return feedback_views.track_case(request, self, reference)

    @re_path(r"^track/(?P<reference>[0-9]{10})/new-pin/$")
    def new_pin(self, request, reference):
        return feedback_views.new_pin(request, self, reference)

    @re_path(r"^track/(?P<reference>[0-9]{10})/data/$")
    def case_data(self, request, reference):
        return feedback_views.case_data(request, self, reference)
