"""Demo page trees in English and Swahili: home, services, one page per service, about."""

from django.db import transaction
from django.utils.text import slugify
from wagtail.models import Locale, Page, Site

from feedback.models import Service
from pages.models import FeedbackPage, HomePage, ServiceIndexPage, ServicePage, StandardPage

HOME = {
    "en": {
        "title": "Mrejesho: feedback on public services",
        "intro": "Tell a public institution what went wrong, or what went right, ask a question "
        "or suggest an improvement. You get a reference number and can follow your case until "
        "it is resolved.",
        # The USSD code and SMS number are not written here: the page shows them from settings
        # (USSD_CODE, SMS_SHORT_NUMBER) below this text, only when configured.
        "body": "<p>No smartphone? Your feedback counts the same whichever way it comes.</p>",
    },
    "sw": {
        "title": "Mrejesho: maoni kuhusu huduma za umma",
        "intro": "Ieleze taasisi ya umma kilichokwenda vibaya au kilichokwenda vizuri, uliza "
        "swali au pendekeza maboresho. Utapata namba ya kumbukumbu na kufuatilia shauri lako hadi "
        "litakapotatuliwa.",
        "body": "<p>Huna simu janja? Maoni yako yana uzito uleule kwa njia yoyote "
        "yatakayofika.</p>",
    },
}
SERVICE_INDEX = {
    "en": {
        "title": "Public services",
        "slug": "services",
        "intro": "<p>Guidance on public services and the times each institution promises in "
        "its service charter.</p>",
    },
    "sw": {
        "title": "Huduma za umma",
        "slug": "huduma",
        "intro": "<p>Mwongozo kuhusu huduma za umma na muda ambao kila taasisi inaahidi katika "
        "mkataba wake wa huduma kwa mteja.</p>",
    },
}
ABOUT = {
    "en": {
        "title": "About Mrejesho",
        "slug": "about",
        "intro": "How your feedback is handled.",
        "body": "<p>Every case is acknowledged and answered within the service charter's "
        "deadline. If it is not, it goes up to the level above. Only outcomes you agree to "
        "publish are ever shown to the public, with your personal details removed.</p>",
    },
    "sw": {
        "title": "Kuhusu Mrejesho",
        "slug": "kuhusu",
        "intro": "Jinsi maoni yako yanavyoshughulikiwa.",
        "body": "<p>Kila shauri hupokelewa na kujibiwa ndani ya muda wa mkataba wa huduma kwa "
        "mteja. Lisipojibiwa, hupanda ngazi ya juu. Matokeo unayokubali yachapishwe tu ndiyo "
        "huonyeshwa kwa umma, bila taarifa zako binafsi.</p>",
    },
}
FEEDBACK = {
    "en": {
        "title": "Give feedback",
        "slug": "feedback",
        "intro": "<p>Complaints, suggestions, questions and compliments about any public "
        "service. It takes about three minutes, and you can stay anonymous.</p>",
        "form_intro": "<p>Tell us what happened. The institution must acknowledge your "
        "feedback and answer within the times of its service charter.</p>",
        "track_intro": "<p>Enter the reference number you received.</p>",
    },
    "sw": {
        "title": "Toa maoni",
        "slug": "feedback",
        "intro": "<p>Malalamiko, mapendekezo, maswali na pongezi kuhusu huduma yoyote ya "
        "umma. Inachukua kama dakika tatu, na unaweza kubaki bila kujulikana.</p>",
        "form_intro": "<p>Tueleze kilichotokea. Taasisi lazima ipokee maoni yako na kujibu "
        "ndani ya muda wa mkataba wake wa huduma kwa mteja.</p>",
        "track_intro": "<p>Andika namba ya kumbukumbu uliyopokea.</p>",
    },
}
GUIDANCE = {
    "en": "<p>{description}</p><h2>Before you contact {institution}</h2><ul><li>Keep your "
    "receipts, bills and any reference numbers.</li><li>Note the date, the office and the name "
    "of the officer you dealt with.</li></ul><p>If the service did not meet the charter, tell "
    "us: the institution must acknowledge your feedback and answer within the charter times "
    "shown on this page.</p>",
    "sw": "<p>{description}</p><h2>Kabla ya kuwasiliana na {institution}</h2><ul><li>Hifadhi "
    "risiti, bili na namba zozote za kumbukumbu.</li><li>Andika tarehe, ofisi na jina la afisa "
    "aliyekuhudumia.</li></ul><p>Kama huduma haikufikia ahadi ya mkataba, tuambie: taasisi "
    "lazima ipokee maoni yako na kujibu ndani ya muda wa mkataba ulioonyeshwa kwenye "
    "ukurasa huu.</p>",
}


def _publish(page: Page) -> Page:
    page.save_revision().publish()
    return page


def _ensure_child(parent: Page, page_class, slug: str, **fields) -> Page:
    existing = page_class.objects.child_of(parent).filter(slug=slug).first()
    if existing is not None:
        return existing
    page = page_class(slug=slug, **fields)
    parent.add_child(instance=page)
    return _publish(page)


def _ensure_translation(page: Page, locale: Locale, **fields) -> Page:
    existing = page.get_translation_or_none(locale)
    if existing is not None:
        return existing.specific
    translation = page.copy_for_translation(locale)
    for name, value in fields.items():
        setattr(translation, name, value)
    translation.save()
    return _publish(translation)


def _ensure_home(locale_en: Locale) -> HomePage:
    home = HomePage.objects.filter(locale=locale_en, depth=2).first()
    root = Page.get_first_root_node()
    if home is None:
        # Wagtail's first migration leaves a plain welcome page as the site root: replace it.
        Page.objects.filter(depth=2, slug="home", content_type__model="page").delete()
        home = HomePage(slug="home", locale=locale_en, **HOME["en"])
        root.add_child(instance=home)
        _publish(home)
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(
            hostname="localhost",
            port=80,
            root_page=home,
            is_default_site=True,
            site_name="Mrejesho",
        )
    elif site.root_page_id != home.pk:
        site.root_page = home
        site.site_name = "Mrejesho"
        site.save()
    return home


@transaction.atomic
def seed_pages() -> dict[str, int]:
    """Create the English tree and its Swahili translation; returns page counts per language."""
    locale_en, _ = Locale.objects.get_or_create(language_code="en")
    locale_sw, _ = Locale.objects.get_or_create(language_code="sw")

    home = _ensure_home(locale_en)
    home_sw = _ensure_translation(home, locale_sw, slug="home-sw", **HOME["sw"])

    index = _ensure_child(home, ServiceIndexPage, **SERVICE_INDEX["en"])
    _ensure_translation(index, locale_sw, **SERVICE_INDEX["sw"])

    feedback = _ensure_child(home, FeedbackPage, **FEEDBACK["en"])
    _ensure_translation(feedback, locale_sw, **FEEDBACK["sw"])

    about = _ensure_child(home, StandardPage, **ABOUT["en"])
    _ensure_translation(about, locale_sw, **ABOUT["sw"])

    for service in Service.objects.select_related("institution").order_by("institution__path"):
        institution = service.institution
        page = _ensure_child(
            index,
            ServicePage,
            slug=slugify(f"{service.name} {institution.acronym or institution.short_code}"),
            title=service.name,
            service=service,
            summary=service.description,
            body=GUIDANCE["en"].format(
                description=service.description, institution=institution.name
            ),
        )
        _ensure_translation(
            page,
            locale_sw,
            slug=slugify(f"{service.name_sw} {institution.acronym or institution.short_code}"),
            title=service.name_sw,
            summary=service.description_sw,
            body=GUIDANCE["sw"].format(
                description=service.description_sw, institution=institution.name_sw
            ),
        )
    return {
        "en": Page.objects.descendant_of(home, inclusive=True).count(),
        "sw": Page.objects.descendant_of(home_sw, inclusive=True).count(),
    }
