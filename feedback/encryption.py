"""Citizens' contact details encrypted at rest, and the keyed digests that still find them.

Encryption: Fernet (AES-128-CBC with an HMAC-SHA256, from `cryptography`) under the keys of
settings.CONTACT_ENCRYPTION_KEYS, newest first: the first encrypts, every one decrypts
(MultiFernet). A key is rotated by putting a new one first, running `manage.py
rotate_contact_keys` (which re-encrypts every row under it), then dropping the old one.
The keys come from the environment, never from SECRET_KEY: a leaked SECRET_KEY (it signs
cookies and reset links, and leaks in more ways) must not open the registry's contacts.

Digests: a ciphertext cannot be searched (every encryption of a number differs), so beside it
sits an HMAC-SHA256 of the normalised value under settings.CONTACT_DIGEST_KEY. That key is
NOT rotated with the encryption keys: every stored digest was made with it, and a new digest
key would make every lookup by phone or e-mail miss until each row were re-digested from its
decrypted value (possible, but a deliberate migration of its own, not part of a key rotation).

Why our own field and not django-fernet-encrypted-fields 0.4 (it installs here: a pure-Python
wheel needing only Django and cryptography): it derives its keys from SECRET_KEY and a SALT_KEY
list by PBKDF2, so the contacts' key cannot be kept apart from SECRET_KEY; a token no key opens
is handed back as if it were the clear text instead of failing; a blank value is stored as
NULL; and it leaves every lookup open (`phone="..."` compiles and silently finds nothing).
"""

import hashlib
import hmac
import json
from dataclasses import dataclass
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import FieldError
from django.db import models, transaction
from django.db.models import Value
from django.db.models.functions import Cast
from django.db.models.lookups import Exact, IsNull


class UnreadableContact(Exception):
    """A stored value that none of CONTACT_ENCRYPTION_KEYS decrypts: a key was dropped before
    `rotate_contact_keys` finished, or the database came from another installation."""


def encryption_keys() -> tuple[str, ...]:
    keys = settings.CONTACT_ENCRYPTION_KEYS
    if isinstance(keys, str):
        keys = keys.split(",")
    return tuple(key.strip() for key in keys if key.strip())


@lru_cache(maxsize=8)
def _fernets(keys: tuple[str, ...]) -> tuple[MultiFernet, Fernet]:
    if not keys:
        raise UnreadableContact("CONTACT_ENCRYPTION_KEYS is empty.")
    each = [Fernet(key) for key in keys]
    return MultiFernet(each), each[0]


def encrypt(text: str) -> str:
    """A Fernet token of the text under the newest key (a fresh one at every call)."""
    every, _newest = _fernets(encryption_keys())
    return every.encrypt(text.encode()).decode("ascii")


def decrypt(token: str) -> str:
    every, _newest = _fernets(encryption_keys())
    try:
        return every.decrypt(token.encode("ascii")).decode()
    except (InvalidToken, UnicodeEncodeError) as error:
        raise UnreadableContact(
            "A contact detail cannot be decrypted with any key of CONTACT_ENCRYPTION_KEYS."
        ) from error


def is_current(token: str) -> bool:
    """Whether the newest key alone decrypts this token (nothing left to rotate)."""
    _every, newest = _fernets(encryption_keys())
    try:
        newest.decrypt(token.encode("ascii"))
    except InvalidToken:
        return False
    return True


def rotate(token: str) -> str:
    """The same clear text encrypted under the newest key; raises UnreadableContact."""
    every, _newest = _fernets(encryption_keys())
    try:
        return every.rotate(token.encode("ascii")).decode("ascii")
    except InvalidToken as error:
        raise UnreadableContact(
            "A contact detail cannot be decrypted with any key of CONTACT_ENCRYPTION_KEYS."
        ) from error


def keyed_digest(purpose: str, value: str) -> str:
    """HMAC-SHA256 of a value under CONTACT_DIGEST_KEY, kept apart per purpose ("phone",
    "email"): the same value always gives the same digest; the digest gives back nothing."""
    message = f"{purpose}\x00{value}".encode()
    return hmac.new(settings.CONTACT_DIGEST_KEY.encode(), message, hashlib.sha256).hexdigest()


def email_digest(address: str) -> str:
    """The digest an e-mail address is found by: trimmed and lower-cased first; blank for none."""
    address = (address or "").strip().lower()
    return keyed_digest("email", address) if address else ""


class _BlankOnlyExact(Exact):
    """`field=""` (no value stored) is the one equality an encrypted field can answer."""

    def get_prep_lookup(self):
        if self.rhs not in ("", None):
            raise FieldError(
                f"{self.lhs.target.name} is encrypted: find it by its digest, not its value."
            )
        return super().get_prep_lookup()


class EncryptedTextField(models.TextField):
    """Text kept in the database as a Fernet token; read back as the clear text.

    Blank stays blank, so "has no phone" is still a cheap filter and reveals nothing a blank
    digest would not. Any other lookup (exact, contains, ordering) would compare ciphertexts,
    so it is refused with a FieldError rather than silently finding nothing: search by the
    digest stored beside the field. `max_length` checks forms only (a token is longer).
    """

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_lookup(self, lookup_name):
        return {"exact": _BlankOnlyExact, "isnull": IsNull}.get(lookup_name)

    def get_transform(self, lookup_name):
        return None


class EncryptedJSONField(models.TextField):
    """A JSON value (a dict, a list...) kept in the database as one Fernet token."""

    def get_prep_value(self, value):
        if value is None:
            return None
        return encrypt(json.dumps(value, ensure_ascii=False, separators=(",", ":")))

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return json.loads(decrypt(value)) if value else {}

    def to_python(self, value):
        return value

    def get_lookup(self, lookup_name):
        return {"isnull": IsNull}.get(lookup_name)

    def get_transform(self, lookup_name):
        return None


def encrypted_fields() -> list[tuple[type[models.Model], list[str]]]:
    """Every model with encrypted fields, and their names: what a key rotation must reach."""
    from django.apps import apps

    found = []
    for model in apps.get_models():
        names = [
            field.name
            for field in model._meta.concrete_fields
            if isinstance(field, (EncryptedTextField, EncryptedJSONField))
        ]
        if names:
            found.append((model, names))
    return found


@dataclass
class Rotation:
    """What a key rotation did to one model's rows."""

    model: str
    rotated: int = 0  # rows with at least one value re-encrypted under the newest key
    current: int = 0  # rows already under it (a second run, or a resumed one)


def rotate_model(model: type[models.Model], names: list[str], batch_size: int = 500) -> Rotation:
    """Re-encrypt every value of these fields that the newest key does not already open.

    Batch by batch in primary-key order, each batch in its own transaction with its rows
    locked (SELECT ... FOR UPDATE), so the site keeps running and a save of a row waits for
    its batch instead of being overwritten. Idempotent and resumable: a value already under the
    newest key is left as it is, so a second or interrupted run redoes nothing. Writes with
    .update(): no history row, no signal (the history leaves these fields out anyway).
    """
    result = Rotation(model=model._meta.label)
    manager = model._base_manager
    raw = [Cast(name, output_field=models.TextField()) for name in names]  # no decryption
    last = 0
    while True:
        with transaction.atomic():
            rows = list(
                manager.select_for_update()
                .filter(pk__gt=last)
                .order_by("pk")
                .values_list("pk", *raw)[:batch_size]
            )
            for pk, *tokens in rows:
                changed = {
                    name: Value(rotate(token), output_field=models.TextField())
                    for name, token in zip(names, tokens, strict=True)
                    if token and not is_current(token)
                }
                if changed:
                    manager.filter(pk=pk).update(**changed)
                    result.rotated += 1
                else:
                    result.current += 1
        if len(rows) < batch_size:
            return result
        last = rows[-1][0]


def rotate_all(batch_size: int = 500) -> list[Rotation]:
    """Every encrypted value of the registry under the newest of CONTACT_ENCRYPTION_KEYS."""
    return [rotate_model(model, names, batch_size) for model, names in encrypted_fields()]
