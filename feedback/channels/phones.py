"""Phone numbers as the registry keeps them apart from a contact's ciphertext: a keyed digest.

One digest for every use: the channels (USSD sessions, SMS, language preferences, throttles)
and the contact's `phone_digest`, which finds a citizen's cases by number. Its key is
CONTACT_DIGEST_KEY (feedback.encryption.keyed_digest), not SECRET_KEY: rotating SECRET_KEY
must not break the lookup of stored contacts.
"""

from feedback.encryption import keyed_digest


def phone_digest(e164: str) -> str:
    """A keyed digest of a number in E.164 form (workflow.normalise_phone): the same number
    always gives the same digest; the digest alone gives back no number."""
    return keyed_digest("phone", e164)
