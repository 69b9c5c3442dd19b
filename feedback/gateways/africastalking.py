"""Africa's Talking's bulk SMS API (POST form to AFRICASTALKING_API_URL, `apiKey` header).

Their official SDK (africastalking 2.0.3) was tried and not used: it builds its URL from a
fixed host (`https://api.` + their domain), so a test cannot aim it at a local fake gateway,
and it pulls a mocking library (`responses`) into production. Their HTTP API is small and
documented: https://developers.africastalking.com/docs/sms/sending/bulk
"""

import json
import logging
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings

from feedback.gateways.sms import BaseSMSBackend, SMSDeliveryError, SMSMessage

logger = logging.getLogger("feedback.gateways")

# Recipient statusCodes meaning the message was taken: 100 Processed, 101 Sent, 102 Queued.
ACCEPTED = frozenset({100, 101, 102})
DEFAULT_TIMEOUT_SECONDS = 10


def parse_answer(payload: bytes) -> str:
    """The messageId of the one recipient in Africa's Talking's answer, or SMSDeliveryError
    naming their status (never the number: the answer quotes it)."""
    try:
        data = json.loads(payload.decode("utf-8"))
        recipients = data["SMSMessageData"]["Recipients"]
    except (ValueError, KeyError, TypeError) as error:
        raise SMSDeliveryError(reason="unreadable answer from the gateway") from error
    if not recipients:
        raise SMSDeliveryError(reason="the gateway accepted no recipient")
    recipient = recipients[0]
    try:
        code = int(recipient.get("statusCode", 0))
    except (TypeError, ValueError):
        code = 0
    status = str(recipient.get("status", ""))[:40]
    message_id = str(recipient.get("messageId", "") or "")
    if code not in ACCEPTED or not message_id or message_id == "None":
        raise SMSDeliveryError(reason=f"refused by the gateway: {code} {status}".strip())
    return message_id[:100]


class AfricasTalkingSMSBackend(BaseSMSBackend):
    """Sends through Africa's Talking with AFRICASTALKING_USERNAME ("sandbox" in their sandbox),
    AFRICASTALKING_API_KEY and SMS_SENDER_ID (empty: their default sender)."""

    def send(self, message: SMSMessage) -> str:
        form = {
            "username": settings.AFRICASTALKING_USERNAME,
            "to": message.to,
            "message": message.body,
        }
        if message.sender:
            form["from"] = message.sender
        request = urllib.request.Request(
            settings.AFRICASTALKING_API_URL,
            data=urllib.parse.urlencode(form).encode("utf-8"),
            headers={
                "apiKey": settings.AFRICASTALKING_API_KEY,
                "Accept": "application/json",
                "Content-Type": "application/x-www-form-urlencoded",
            },
            method="POST",
        )
        timeout = getattr(settings, "AFRICASTALKING_TIMEOUT", DEFAULT_TIMEOUT_SECONDS)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # nosec B310  # settings.AFRICASTALKING_API_URL, not user input
                payload = response.read()
        except urllib.error.HTTPError as error:
            # Only the status is kept: their error body may quote the number.
            raise SMSDeliveryError(reason=f"HTTP {error.code} from the gateway") from None
        except (TimeoutError, OSError) as error:
            raise SMSDeliveryError(reason=f"gateway unreachable: {type(error).__name__}") from None
        return parse_answer(payload)
