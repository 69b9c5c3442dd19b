"""`{% channels_offer %}`: the USSD code and the SMS number citizens can use, from settings
(USSD_CODE, SMS_SHORT_NUMBER), in the reader's language; a channel with no setting is not
offered. Used by the home page and the feedback page."""

from django import template
from django.conf import settings

register = template.Library()


def offered() -> dict[str, str]:
    return {"ussd_code": settings.USSD_CODE, "sms_number": settings.SMS_SHORT_NUMBER}


@register.inclusion_tag("feedback/includes/channels.html")
def channels_offer(heading_level: int = 2):
    demo = getattr(settings, "CHANNELS_ARE_DEMO_VALUES", False)
    return {**offered(), "heading_level": heading_level, "demo": demo}
