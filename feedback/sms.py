"""Outbound SMS behind one small interface chosen by settings.SMS_BACKEND, like Django's e-mail."""

import sys
from abc import ABC, abstractmethod
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string


class SMSDeliveryError(Exception):
    """The gateway did not accept the message; the caller may retry later."""


@dataclass(frozen=True)
class SMSMessage:
    to: str
    body: str
    sender: str = ""


class BaseSMSBackend(ABC):
    @abstractmethod
    def send(self, message: SMSMessage) -> None:
        """Hand one message to the gateway, or raise SMSDeliveryError."""


class ConsoleSMSBackend(BaseSMSBackend):
    """Development: print each message instead of sending it."""

    def send(self, message: SMSMessage) -> None:
        sys.stdout.write(
            f"SMS to {message.to} from {message.sender}:\n{message.body}\n{'-' * 40}\n"
        )
        sys.stdout.flush()


# Messages "sent" through MemorySMSBackend, for tests (as django.core.mail.outbox).
outbox: list[SMSMessage] = []


class MemorySMSBackend(BaseSMSBackend):
    """Tests: keep each message in `feedback.sms.outbox`."""

    def send(self, message: SMSMessage) -> None:
        outbox.append(message)


def get_backend() -> BaseSMSBackend:
    return import_string(settings.SMS_BACKEND)()


def send_sms(to: str, body: str) -> None:
    get_backend().send(SMSMessage(to=to, body=body, sender=settings.SMS_SENDER_ID))
