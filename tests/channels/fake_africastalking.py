"""A fake Africa's Talking SMS API on 127.0.0.1, served by the test itself (http.server in a
thread), speaking their HTTP API: POST /version1/messaging, form `username`, `to`, `message`,
`from`, header `apiKey`; answers 201 with SMSMessageData.Recipients, as they do.

`mode` says how it answers the next requests: "accept", "refuse" (a recipient status they
use for a bad number), "fail" (HTTP 500) or "slow" (answers after `delay` seconds).
Each request kept in `received` notes the mode it was `answered` in. A `port` (default: any
free one) and a `received` list passed in let a test stop the gateway and start a new one on
the same address that goes on counting (tests/faults).
"""

import contextlib
import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeAfricasTalking:
    def __init__(self, port: int = 0, received: list[dict] | None = None):
        self.mode = "accept"
        self.delay = 1.0
        # each request's form, apiKey header and the mode it was answered in
        self.received: list[dict] = [] if received is None else received
        self._count = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                size = int(self.headers.get("Content-Length", 0))
                form = dict(urllib.parse.parse_qsl(self.rfile.read(size).decode("utf-8")))
                fake.received.append(
                    {
                        "path": self.path,
                        "api_key": self.headers.get("apiKey"),
                        "accept": self.headers.get("Accept"),
                        "answered": fake.mode,
                        **form,
                    }
                )
                fake._count += 1
                if fake.mode == "fail":
                    self._answer(500, b"Internal Server Error", "text/plain")
                    return
                if fake.mode == "slow":
                    time.sleep(fake.delay)
                if fake.mode == "refuse":
                    recipient = {
                        "statusCode": 403,
                        "number": form.get("to", ""),
                        "status": "InvalidPhoneNumber",
                        "cost": "0",
                        "messageId": "None",
                    }
                    message = "Sent to 0/1 Total Cost: 0"
                else:
                    recipient = {
                        "statusCode": 101,
                        "number": form.get("to", ""),
                        "status": "Success",
                        "cost": "TZS 20.0000",
                        "messageId": f"ATXid_fake{fake._count:04d}",
                    }
                    message = "Sent to 1/1 Total Cost: TZS 20.0000"
                body = {"SMSMessageData": {"Message": message, "Recipients": [recipient]}}
                self._answer(201, json.dumps(body).encode(), "application/json")

            def _answer(self, status, body, content_type):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                # The client may have given up waiting (the "slow" mode).
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)

            def log_message(self, *args):  # quiet: the form holds a phone number
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/version1/messaging"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
