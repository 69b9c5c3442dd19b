"""Test pages: published Wagtail pages built with factory_boy, and their Swahili translations."""

import factory
from django.utils.text import slugify
from factory.django import DjangoModelFactory
from wagtail.models import Locale, Page, Site

from feedback.models import Institution, Service
from pages.models import FeedbackPage, HomePage, ServiceIndexPage, ServicePage, StandardPage


def service_page_slug(name: str, institution: Institution) -> str:
    """The slug a service page has in the demo and in tests alike: name and institution."""
    return slugify(f"{name} {institution.acronym or institution.short_code}")


class PageFactory(DjangoModelFactory):
    """A published page under `parent`; a page with the same slug there is reused as is."""

    class Meta:
        model = Page
        abstract = True

    parent = None
    title = factory.Sequence(lambda n: f"Page {n}")
    slug = factory.LazyAttribute(lambda page: slugify(page.title))

    @classmethod
    def _create(cls, model_class, parent, **fields):
        # Wagtail pages join the tree through their parent, never through objects.create().
        existing = model_class.objects.child_of(parent).filter(slug=fields["slug"]).first()
        if existing is not None:
            return existing
        page = model_class(**fields)
        parent.add_child(instance=page)
        page.save_revision().publish()
        return page


class HomePageFactory(PageFactory):
    class Meta:
        model = HomePage

    parent = factory.LazyFunction(Page.get_first_root_node)
    title = "Mrejesho: feedback on public services"
    slug = "home"
    intro = "Tell a public institution what went wrong or right."


class ServiceIndexPageFactory(PageFactory):
    class Meta:
        model = ServiceIndexPage

    title = "Public services"
    slug = "services"


class FeedbackPageFactory(PageFactory):
    class Meta:
        model = FeedbackPage

    title = "Give feedback"
    slug = "feedback"
    form_intro = "<p>Tell us what happened.</p>"


class StandardPageFactory(PageFactory):
    class Meta:
        model = StandardPage

    title = "About Mrejesho"
    slug = "about"


class ServicePageFactory(PageFactory):
    class Meta:
        model = ServicePage

    service = None
    title = factory.LazyAttribute(lambda page: page.service.name)
    slug = factory.LazyAttribute(
        lambda page: service_page_slug(page.service.name, page.service.institution)
    )
    summary = factory.LazyAttribute(lambda page: page.service.description)


def translate(page: Page, language: str, **fields) -> Page:
    """The page's published translation, made from a copy of it if there is none yet."""
    locale = Locale.objects.get(language_code=language)
    existing = page.get_translation_or_none(locale)
    if existing is not None:
        return existing.specific
    translated = page.copy_for_translation(locale)
    for name, value in fields.items():
        setattr(translated, name, value)
    translated.save()
    translated.save_revision().publish()
    return translated


def build_test_pages() -> HomePage:
    """Home, services, feedback and about pages in English and Swahili, one page per service.

    Safe to run again, and after a transactional test's flush removed what Wagtail's own
    migrations had created (the locale and the root page).
    """
    english, _created = Locale.objects.get_or_create(language_code="en")
    Locale.objects.get_or_create(language_code="sw")
    if Page.get_first_root_node() is None:
        Page.add_root(instance=Page(title="Root", slug="root", locale=english))
    # Wagtail's first migration puts a plain welcome page (and the site) where our home goes.
    Page.objects.filter(depth=2, slug="home", content_type__model="page").delete()
    home = HomePageFactory()
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "port": 80, "root_page": home, "site_name": "Mrejesho"},
    )
    translate(home, "sw", slug="home-sw", title="Mrejesho: maoni kuhusu huduma za umma")
    index = ServiceIndexPageFactory(parent=home)
    translate(index, "sw", title="Huduma za umma", slug="huduma")
    feedback = FeedbackPageFactory(parent=home)
    translate(feedback, "sw", title="Toa maoni")
    about = StandardPageFactory(parent=home)
    translate(about, "sw", title="Kuhusu Mrejesho", slug="kuhusu")
    for service in Service.objects.select_related("institution"):
        page = ServicePageFactory(parent=index, service=service)
        translate(
            page,
            "sw",
            title=service.name_sw,
            slug=service_page_slug(service.name_sw, service.institution),
            summary=service.description_sw,
        )
    return home
