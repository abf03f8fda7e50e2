"""A learning record store the tests start on 127.0.0.1: it keeps the statements it accepts, checks the xAPI
version header and basic authentication, and answers an error status when told to (``fail_with``)."""

import base64
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class LearningRecordStore:
    key: str = "lrs-key"
    secret: str = "lrs-secret"  # noqa: S105 (a test's own secret)
    statements: list[dict[str, Any]] = field(default_factory=list)
    posts: int = 0
    fail_with: int | None = None
    server: ThreadingHTTPServer | None = None

    @property
    def endpoint(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/xapi"

    def start(self) -> "LearningRecordStore":
        store = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _allowed(self) -> bool:
                expected = base64.b64encode(f"{store.key}:{store.secret}".encode()).decode()
                if self.headers.get("Authorization") != f"Basic {expected}":
                    self._answer(401, {"error": "unauthorized"})
                    return False
                if self.headers.get("X-Experience-API-Version") != "1.0.3":
                    self._answer(400, {"error": "version"})
                    return False
                return True

            def do_GET(self) -> None:
                if self.path == "/xapi/about" and self._allowed():
                    self._answer(store.fail_with or 200, {"version": ["1.0.3"]})

            def do_POST(self) -> None:
                if self.path != "/xapi/statements" or not self._allowed():
                    return
                store.posts += 1
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                if store.fail_with:
                    self._answer(store.fail_with, {"error": "told to fail"})
                    return
                store.statements.extend(body)
                self._answer(200, [statement["id"] for statement in body])

            def _answer(self, status: int, body: Any) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
