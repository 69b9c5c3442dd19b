"""The browser's side of tracking: which address a request comes from, and which cases this
browser session has proved it may see. The proof itself is feedback.citizens.prove."""

import time

from django.conf import settings


def client_address(request) -> str:
    """The citizen's address, not our proxy's, so per-address limits count each client apart.

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
