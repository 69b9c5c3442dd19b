"""The home page and the feedback page offer USSD and SMS from settings, in the reader's
language, and promise no channel that is not configured."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/en/", "/en/feedback/"])
def test_both_channels_shown_in_english_when_configured(client, settings, path):
    settings.USSD_CODE, settings.SMS_SHORT_NUMBER = "*152*00#", "15000"
    html = client.get(path).content.decode()
    assert "Dial <strong>*152*00#</strong>" in html
    assert "Send an SMS to <strong>15000</strong>" in html
    assert "Demonstration site" not in html


@pytest.mark.parametrize("path", ["/en/", "/en/feedback/"])
def test_no_channel_promised_when_none_is_configured(client, settings, path):
    settings.USSD_CODE, settings.SMS_SHORT_NUMBER = "", ""
    html = client.get(path).content.decode()
    assert "USSD" not in html and "Dial" not in html and "Send an SMS" not in html
    assert "service point" in html


def test_only_sms_when_only_the_number_is_set(client, settings):
    settings.USSD_CODE, settings.SMS_SHORT_NUMBER = "", "15000"
    html = client.get("/en/feedback/").content.decode()
    assert "Dial" not in html and "15000" in html


def test_demo_values_are_said_to_be_demo_values(client, settings):
    settings.USSD_CODE, settings.SMS_SHORT_NUMBER = "*384*1811#", "15811"
    settings.CHANNELS_ARE_DEMO_VALUES = True
    assert "Demonstration site" in client.get("/en/").content.decode()


def test_swahili_pages_show_the_same_code_and_number(client, settings):
    settings.USSD_CODE, settings.SMS_SHORT_NUMBER = "*152*00#", "15000"
    html = client.get("/sw/").content.decode()
    assert "*152*00#" in html and "15000" in html
