"""The SMS backend interface and the two backends that send nothing: console and memory."""

import sys
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass


class SMSDeliveryError(Exception):
    """The gateway did not accept the message; the caller may retry later.

    `reason` is what may be kept and logged (the gateway's status, never the number or the
    text); the message itself may quote them and is never kept."""

    def __init__(self, *args, reason: str = ""):
        super().__init__(*args)
        self.reason = reason

    def __str__(self) -> str:
        return super().__str__() or self.reason


@dataclass(frozen=True)
class SMSMessage:
    to: str
    body: str
    sender: str = ""


class BaseSMSBackend(ABC):
    @abstractmethod
    def send(self, message: SMSMessage) -> str | None:
        """Hand one message to the gateway and return the gateway's id for it (None if the
        backend names none), or raise SMSDeliveryError."""


class ConsoleSMSBackend(BaseSMSBackend):
    """Development: print each message instead of sending it."""

    def send(self, message: SMSMessage) -> None:
        sys.stdout.write(
            f"SMS to {message.to} from {message.sender}:\n{message.body}\n{'-' * 40}\n"
        )
        sys.stdout.flush()
        return None


# Messages "sent" through MemorySMSBackend, for tests (as django.core.mail.outbox).
outbox: list[SMSMessage] = []


class MemorySMSBackend(BaseSMSBackend):
    """Tests: keep each message in `feedback.sms.outbox`; name it as a gateway would, so a
    test can post a delivery report about it."""

    def send(self, message: SMSMessage) -> str:
        outbox.append(message)
        return f"memory-{uuid.uuid4().hex}"
