"""Wagtail page types that editors publish in English and Swahili."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.search import index


class HomePage(Page):
    """The root of one language's page tree."""

    intro = models.TextField(_("introduction"), blank=True)
    body = RichTextField(_("body"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    max_count_per_parent = 1

    class Meta:
        verbose_name = _("home page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["service_indexes"] = (
            ServiceIndexPage.objects.child_of(self).live().public().specific()
        )
        return context


class ServiceIndexPage(Page):
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


class ServicePage(Page):
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


class StandardPage(Page):
    """A plain page of text: about, privacy, help."""

    intro = models.TextField(_("introduction"), blank=True)
    body = RichTextField(_("body"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]

    class Meta:
        verbose_name = _("standard page")
