"""Throttling of wrong PINs, per reference and per client address, in the shared cache."""

from django.conf import settings
from django.core.cache import cache


def _keys(reference: str, client: str) -> list[str]:
    return [f"pin-failures:ref:{reference}", f"pin-failures:client:{client}"]


def pin_locked(reference: str, client: str) -> bool:
    counts = cache.get_many(_keys(reference, client)).values()
    return any(count >= settings.PIN_MAX_FAILURES for count in counts)


def register_pin_failure(reference: str, client: str) -> None:
    for key in _keys(reference, client):
        # add() starts the window; incr() keeps it, so a lockout ends PIN_LOCKOUT_SECONDS
        # after the first failure rather than being extended by every further guess.
        if not cache.add(key, 1, timeout=settings.PIN_LOCKOUT_SECONDS):
            try:
                cache.incr(key)
            except ValueError:  # expired between add() and incr()
                cache.add(key, 1, timeout=settings.PIN_LOCKOUT_SECONDS)


def clear_pin_failures(reference: str) -> None:
    cache.delete(f"pin-failures:ref:{reference}")
