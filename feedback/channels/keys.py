"""API clients' keys: issued once, stored as a prefix and a keyed digest, checked, revoked.

A key reads "mrj_<prefix>.<secret>". The prefix finds the client (an indexed column); the
digest, keyed with SECRET_KEY like the PINs, checks the whole key, so a copy of the database
alone neither holds a usable key nor lets one be tested offline.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, get_random_string, salted_hmac

from feedback.models import ApiClient

KEY_START = "mrj_"
PREFIX_LENGTH = 8
SECRET_LENGTH = 40
# Letters and digits only: a key survives being pasted into a header, a URL or a form.
ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _digest(key: str) -> str:
    return salted_hmac("feedback.api-client.key", key, algorithm="sha256").hexdigest()


def _prefix_of(key: str) -> str:
    body = key[len(KEY_START) :] if key.startswith(KEY_START) else ""
    prefix, separator, _secret = body.partition(".")
    return prefix if separator and len(prefix) == PREFIX_LENGTH else ""


def issue_key(client: ApiClient, *, by=None) -> str:
    """Give the client a new key (replacing any old one) and return it: the only time it is
    seen. Saves the client; `by`, the staff member who asked, is named in its history.

    The row is locked and its revocation read afresh: a key issued from an object loaded
    before a concurrent revocation must not save the client back to active."""
    with transaction.atomic():
        if client.pk is not None:
            locked = ApiClient.objects.select_for_update().get(pk=client.pk)
            client.revoked_at = locked.revoked_at
        while True:
            prefix = get_random_string(PREFIX_LENGTH, ALPHABET)
            if not ApiClient.objects.filter(key_prefix=prefix).exists():
                break
        key = f"{KEY_START}{prefix}.{get_random_string(SECRET_LENGTH, ALPHABET)}"
        client.key_prefix = prefix
        client.key_digest = _digest(key)
        if by is not None:
            client._history_user = by  # simple-history: who, in the chained history row
        client.save()
    return key


def create_client(*, name: str, created_by=None, **fields) -> tuple[ApiClient, str]:
    """A new API client and its key (shown once)."""
    with transaction.atomic():
        client = ApiClient(name=name, created_by=created_by, **fields)
        return client, issue_key(client, by=created_by)


def client_for_key(key: str) -> ApiClient | None:
    """The active client this key belongs to, or None (unknown, wrong or revoked)."""
    prefix = _prefix_of((key or "").strip())
    if not prefix:
        return None
    client = ApiClient.objects.filter(key_prefix=prefix, revoked_at=None).first()
    if client is None or not constant_time_compare(client.key_digest, _digest(key.strip())):
        return None
    return client


def revoke(client: ApiClient, *, by=None, now=None) -> ApiClient:
    """Refuse the client's key from now on (its cases keep naming it). Idempotent. `by`, the
    staff member who revoked it, is named in its history."""
    with transaction.atomic():
        client = ApiClient.objects.select_for_update().get(pk=client.pk)
        if client.revoked_at is None:
            client.revoked_at = now or timezone.now()
            if by is not None:
                client._history_user = by
            client.save(update_fields=["revoked_at"])
    return client


# A client's own key for one submission (the API's Idempotency-Key header, an Open311 token):
# letters, digits and _ . : - only, so it fits a header, a URL path and Case.idempotency_key.
IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9_.:-]{1,64}$"


def submission_key(client: ApiClient, key: str) -> str:
    """Case.idempotency_key for a client's key: namespaced by the client, so two clients'
    keys never meet (the channel is part of the unique index as well)."""
    return f"{client.pk}-{key}"
