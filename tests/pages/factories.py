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


ServiceIndexPageFactory = factory.make_factory(ServiceIndexPage, FACTORY_CLASS=PageFactory)
FeedbackPageFactory = factory.make_factory(FeedbackPage, FACTORY_CLASS=PageFactory)
StandardPageFactory = factory.make_factory(StandardPage, FACTORY_CLASS=PageFactory)


class ServicePageFactory(PageFactory):
    class Meta:
        model = ServicePage

    service = None
    title = factory.LazyAttribute(lambda page: page.service.name)
    slug = factory.LazyAttribute(
        lambda page: service_page_slug(page.service.name, page.service.institution)
    )
    summary = factory.LazyAttribute(lambda page: page.service.description)


def in_swahili(page_factory: type[PageFactory], page: Page, **fields) -> Page:
    """The Swahili translation of `page`, built by its factory under the parent's translation."""
    swahili = Locale.objects.get(language_code="sw")
    parent = page.get_parent()
    return page_factory(
        parent=parent.get_translation_or_none(swahili) or parent,  # the root has none
        locale=swahili,
        translation_key=page.translation_key,
        **fields,
    )


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
    home = HomePageFactory(title="Mrejesho: feedback on public services", slug="home")
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "port": 80, "root_page": home, "site_name": "Mrejesho"},
    )
    in_swahili(HomePageFactory, home, title="Mrejesho: maoni kuhusu huduma za umma", slug="home-sw")
    index = ServiceIndexPageFactory(parent=home, title="Public services", slug="services")
    in_swahili(ServiceIndexPageFactory, index, title="Huduma za umma", slug="huduma")
    feedback = FeedbackPageFactory(parent=home, title="Give feedback", slug="feedback")
    in_swahili(FeedbackPageFactory, feedback, title="Toa maoni", slug="feedback")
    about = StandardPageFactory(parent=home, title="About Mrejesho", slug="about")
    in_swahili(StandardPageFactory, about, title="Kuhusu Mrejesho", slug="kuhusu")
    for service in Service.objects.select_related("institution"):
        page = ServicePageFactory(parent=index, service=service)
        in_swahili(
            ServicePageFactory,
            page,
            service=service,
            title=service.name_sw,
            slug=service_page_slug(service.name_sw, service.institution),
            summary=service.description_sw,
        )
    return home
