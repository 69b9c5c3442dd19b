"""Throttling of wrong PINs, per reference and per client address, in the shared cache."""

import time

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


def client_address(request) -> str:
    """The citizen's address, not the proxy's, so one client cannot lock out everyone.

    X-Forwarded-For is trusted only as far as settings.TRUSTED_PROXY_COUNT proxies of our
    own append to it; anything further left was written by the client and could be forged.
    """
    proxies = settings.TRUSTED_PROXY_COUNT
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if proxies and len(forwarded) >= proxies:
        return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "unknown")


# Which cases this browser proved it may see (PIN, or having just submitted), and until when.
# Kept short: service points and cyber cafes share one browser between many citizens.
PROVEN_KEY = "feedback_proven"


def _now() -> float:
    return time.time()


def remember_proven(session, reference: str) -> None:
    proven = {ref: until for ref, until in session.get(PROVEN_KEY, {}).items() if until > _now()}
    proven[reference] = _now() + settings.TRACKING_SESSION_SECONDS
    session[PROVEN_KEY] = proven


def is_proven(session, reference: str) -> bool:
    return session.get(PROVEN_KEY, {}).get(reference, 0) > _now()


def forget_proven(session, reference: str) -> None:
    proven = dict(session.get(PROVEN_KEY, {}))
    proven.pop(reference, None)
    session[PROVEN_KEY] = proven
