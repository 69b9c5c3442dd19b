"""Phone numbers as the channels keep them: a keyed digest, never the number."""

from django.utils.crypto import salted_hmac


def phone_digest(e164: str) -> str:
    """A keyed digest of a number in E.164 form (workflow.normalise_phone): the same number
    always gives the same digest; the digest alone gives back no number."""
    return salted_hmac("feedback.channels.phone", e164, algorithm="sha256").hexdigest()
