"""The citizens of bench/load.py: locust users against gunicorn (run by load.py, not alone).

load.py starts locust in a process of its own (locust monkey-patches the standard library
with gevent: never import this from Django's or the test suite's process) and passes it:

- LOAD_OUT: a folder for this process's answers (references.jsonl, requests.json);
- LOAD_SUBMISSIONS: how many submissions in all; LOAD_RUN: the run's tag, written into every
  subject so load.py finds this run's cases; LOAD_API_KEY: the key load.py issued;
  LOAD_SERVICES: JSON [[service pk, service global code], ...] to choose from.

Users:
- Submitter: takes the next submission number until LOAD_SUBMISSIONS are taken; 3 in 5 go
  through the web form (GET form, POST form, GET review, POST send), 2 in 5 through the API
  (POST /api/v1/cases/ with an Idempotency-Key). Every 10th API submission is sent again with
  the same key and every 20th web one is sent twice (a double click): both must answer the
  first case, never a second one. When the last submission is answered, locust quits.
- Tracker: looks up a reference already answered (web look-up, the case page, its PIN; the
  API's look-up), as a citizen following a case does.
- Searcher: the public outcome search, on the web and on the API.
- Floor: /healthz only (load.py runs it alone first: the floor the figures are divided by).

Each citizen comes from an address of its own (X-Forwarded-For, with TRUSTED_PROXY_COUNT=1
on the server, as behind a reverse proxy) and gives a phone number of its own: the per-address
and per-phone abuse limits count each apart, as they would count real citizens.

Cookies are kept by hand: the production settings mark them Secure, and a client on plain
HTTP (127.0.0.1, no TLS proxy) would otherwise never send them back.
"""

import itertools
import json
import os
import random
import re
import time
from pathlib import Path

import gevent
from locust import HttpUser, constant, events, task
from locust.exception import StopUser

OUT = Path(os.environ.get("LOAD_OUT", "."))
SUBMISSIONS = int(os.environ.get("LOAD_SUBMISSIONS", "100"))
RUN = os.environ.get("LOAD_RUN", "load")
API_KEY = os.environ.get("LOAD_API_KEY", "")
SERVICES = json.loads(os.environ.get("LOAD_SERVICES", "[]"))

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
REFERENCE = re.compile(r'data-testid="reference">([^<]+)<')
PIN = re.compile(r'data-testid="pin">([^<]+)<')
WORDS = ["water bill", "meter", "payment delay", "maji", "bili", "hospital", "road", "school"]

# One process, gevent: plain structures are safe between greenlets.
tickets = itertools.count()
answered = {"count": 0}
known: list[tuple[str, str]] = []  # (reference, PIN) answered so far, for the trackers
records = (OUT / "references.jsonl").open("a", buffering=1)
requests_seen: dict[str, dict] = {}  # kind -> {"ms": [...], "status": {code: n}}


@events.request.add_listener
def _count(name, response_time, response=None, exception=None, **_kwargs):
    entry = requests_seen.setdefault(name, {"ms": [], "status": {}})
    entry["ms"].append(response_time)
    status = getattr(response, "status_code", None) or 0  # 0: no answer (connection error)
    entry["status"][str(status)] = entry["status"].get(str(status), 0) + 1


timing = {}


@events.test_start.add_listener
def _started(**_kwargs):
    timing["started"] = time.time()


@events.quitting.add_listener
def _write(**_kwargs):
    records.close()
    timing["ended"] = time.time()
    sent = min(next(tickets), SUBMISSIONS)  # the numbers taken: each one was sent
    (OUT / "requests.json").write_text(
        json.dumps({"timing": timing, "sent": sent, "kinds": requests_seen})
    )


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def address(number: int) -> str:
    return f"10.{(number >> 16) & 255}.{(number >> 8) & 255}.{number & 255}"


def record(**fields) -> None:
    records.write(json.dumps(fields) + "\n")


class Browser:
    """One citizen's browser: its own cookies and address, on the user's connection pool."""

    def __init__(self, client, number: int):
        self.client, self.cookies = client, {}
        self.headers = {"X-Forwarded-For": address(number)}

    def request(self, method, path, name, **kwargs):
        headers = dict(self.headers)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        with self.client.request(
            method,
            path,
            name=name,
            headers=headers,
            allow_redirects=False,
            catch_response=True,
            **kwargs,
        ) as response:
            self.cookies.update(response.cookies.get_dict())
            if response.status_code >= 400:
                response.failure(f"{response.status_code}")
            else:
                response.success()
        return response

    def csrf(self, response) -> str:
        found = CSRF.search(response.text)
        return found.group(1) if found else ""


def contact(number: int) -> dict:
    """Two in ten by e-mail, one in ten unreachable, the rest by SMS: one phone number each."""
    way = number % 10
    if way in (0, 1):
        return {"email": f"citizen{number}@load.example", "notify_by": "email"}
    if way == 2:
        return {"notify_by": "none"}
    return {"phone": f"0712{number % 1_000_000:06d}", "notify_by": "sms"}


class Submitter(HttpUser):
    weight = 40
    wait_time = constant(0)

    @task
    def submit(self):
        number = next(tickets)
        if number >= SUBMISSIONS:
            raise StopUser()
        service_pk, service_code = SERVICES[number % len(SERVICES)]
        subject = f"Load {number} [{RUN}]"
        description = f"Submission {number} of the load test: the meter reading is wrong."
        way = contact(number)
        try:
            if number % 5 < 3:
                self.web(number, service_pk, subject, description, way)
            else:
                self.api(number, service_code, subject, description, way)
        finally:
            answered["count"] += 1
            if answered["count"] >= SUBMISSIONS:
                # From a greenlet of its own: quitting kills every user's greenlet, this one too.
                gevent.spawn(self.environment.runner.quit)

    def web(self, number, service_pk, subject, description, way):
        browser = Browser(self.client, number)
        form = browser.request("GET", "/en/feedback/new/", "web: 1 form")
        if form.status_code != 200:
            return
        data = {
            "csrfmiddlewaretoken": browser.csrf(form),
            "kind": "complaint",
            "service": service_pk,
            "subject": subject,
            "description": description,
            "phone": way.get("phone", ""),
            "email": way.get("email", ""),
            "notify_by": way["notify_by"],
            "consent_to_publish": "on",
        }
        posted = browser.request("POST", "/en/feedback/new/", "web: 2 post form", data=data)
        if posted.status_code != 302:
            return
        review = browser.request("GET", "/en/feedback/new/review/", "web: 3 review")
        if review.status_code != 200:
            return
        send = {"csrfmiddlewaretoken": browser.csrf(review), "send": "1"}
        sent = browser.request("POST", "/en/feedback/new/review/", "web: 4 send", data=send)
        reference, pin = REFERENCE.search(sent.text or ""), PIN.search(sent.text or "")
        if sent.status_code != 200 or reference is None or pin is None:
            record(kind="web failed", number=number, status=sent.status_code)
            return
        reference, pin = digits(reference.group(1)), pin.group(1).strip()
        record(kind="web", number=number, reference=reference, notify_by=way["notify_by"])
        known.append((reference, pin))
        if number % 20 == 0:  # a double click: the first case again, no PIN, no second case
            again = browser.request(
                "POST", "/en/feedback/new/review/", "web: send again", data=send
            )
            replayed = REFERENCE.search(again.text or "")
            record(
                kind="web replay",
                number=number,
                reference=reference,
                replayed=digits(replayed.group(1)) if replayed else None,
                pin_shown=PIN.search(again.text or "") is not None,
                status=again.status_code,
            )

    def api(self, number, service_code, subject, description, way):
        browser = Browser(self.client, number)
        browser.headers.update(
            {"Authorization": f"Api-Key {API_KEY}", "Idempotency-Key": f"{RUN}-{number}"}
        )
        body = {
            "kind": "complaint",
            "service": service_code,
            "subject": subject,
            "description": description,
            "contact_phone": way.get("phone", ""),
            "contact_email": way.get("email", ""),
            "notify_by": way["notify_by"],
            "consent_to_publish": True,
        }
        sent = browser.request("POST", "/api/v1/cases/", "api: submit", json=body)
        if sent.status_code != 201:
            record(kind="api failed", number=number, status=sent.status_code)
            return
        answer = sent.json()
        reference = digits(answer["reference"])
        record(kind="api", number=number, reference=reference, notify_by=way["notify_by"])
        known.append((reference, answer["pin"]))
        if number % 10 == 3:  # a retry with the same key: the first case, pin null
            again = browser.request("POST", "/api/v1/cases/", "api: submit again", json=body)
            replay = again.json() if again.status_code == 200 else {}
            record(
                kind="api replay",
                number=number,
                reference=reference,
                replayed=digits(replay.get("reference") or ""),
                pin_shown=replay.get("pin") is not None,
                status=again.status_code,
                header=again.headers.get("Idempotent-Replayed"),
            )


class Tracker(HttpUser):
    weight = 6
    wait_time = constant(0.5)

    @task
    def follow(self):
        if not known:
            time.sleep(0.5)
            return
        reference, pin = random.choice(known)  # nosec B311  # load mix, not a secret
        browser = Browser(self.client, random.randrange(1 << 24))  # nosec B311  # load mix, not a secret
        found = browser.request(
            "GET", f"/en/feedback/track/?reference={reference}", "track: 1 look-up"
        )
        if found.status_code != 302:
            return
        page = browser.request("GET", f"/en/feedback/track/{reference}/", "track: 2 case page")
        if page.status_code != 200:
            return
        data = {"csrfmiddlewaretoken": browser.csrf(page), "action": "pin", "pin": pin}
        proved = browser.request(
            "POST", f"/en/feedback/track/{reference}/", "track: 3 PIN", data=data
        )
        if proved.status_code == 302:
            browser.request("GET", f"/en/feedback/track/{reference}/", "track: 4 proven page")
        browser.request("GET", f"/api/v1/cases/{reference}/", "api: case look-up")


class Searcher(HttpUser):
    weight = 4
    wait_time = constant(0.5)

    @task
    def search(self):
        browser = Browser(self.client, random.randrange(1 << 24))  # nosec B311  # load mix, not a secret
        words = random.choice(WORDS)  # nosec B311  # load mix, not a secret
        browser.request("GET", f"/en/search/?q={words}", "search: page")
        browser.request("GET", f"/api/v1/outcomes/?q={words}", "search: api")


class Floor(HttpUser):
    weight = 1
    wait_time = constant(0)

    @task
    def healthz(self):
        Browser(self.client, 1).request("GET", "/healthz", "floor: /healthz")
