"""A small OpenID Connect provider the single sign-on tests start on 127.0.0.1.

It serves discovery, its keys (JWKS), an authorize endpoint that redirects back with a code, and a token endpoint
that checks the client's secret, the redirect URI and the PKCE verifier, and returns an RS256 ID token signed with a
key made for the test. What the next token says can be changed (``token_overrides``, ``sign_with``, ``algorithm``),
to test each refusal with a token the provider really issued."""

import base64
import functools
import hashlib
import json
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

KEY_ID = "test-key-1"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@functools.cache
def provider_key() -> rsa.RSAPrivateKey:
    """The provider's signing key, made once per test run (making an RSA key takes a while)."""
    return new_key()


@dataclass
class OidcProvider:
    client_id: str = "haven-learning"
    client_secret: str = "provider-given-secret-of-forty-characters"  # noqa: S105 (a test's own secret)
    key: rsa.RSAPrivateKey = field(default_factory=provider_key)
    # Claims of the next ID token: whom it names, and anything a test changes (iss, aud, exp, iat, nonce...).
    subject: dict[str, Any] = field(default_factory=dict)
    token_overrides: dict[str, Any] = field(default_factory=dict)
    sign_with: rsa.RSAPrivateKey | None = None  # another key, with our key id: a forged signature
    algorithm: str = "RS256"
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def issuer(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "OidcProvider":
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                parts = urllib.parse.urlsplit(self.path)
                if parts.path == "/.well-known/openid-configuration":
                    self._json(provider.discovery())
                elif parts.path == "/jwks":
                    self._json(provider.jwks())
                elif parts.path == "/authorize":
                    self._authorize(dict(urllib.parse.parse_qsl(parts.query)))
                else:
                    self._json({"error": "not_found"}, status=404)

            def do_POST(self) -> None:
                if self.path != "/token":
                    self._json({"error": "not_found"}, status=404)
                    return
                length = int(self.headers.get("Content-Length", "0"))
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                answer, status = provider.token(form, self.headers.get("Authorization", ""))
                self._json(answer, status=status)

            def _authorize(self, query: dict[str, str]) -> None:
                if query.get("client_id") != provider.client_id or query.get("code_challenge_method") != "S256":
                    self._json({"error": "invalid_request"}, status=400)
                    return
                code = secrets.token_urlsafe(16)
                provider.codes[code] = query
                back = urllib.parse.urlencode({"code": code, "state": query["state"]})
                self.send_response(302)
                self.send_header("Location", f"{query['redirect_uri']}?{back}")
                self.end_headers()

            def _json(self, body: Any, status: int = 200) -> None:
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

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        }

    def jwks(self) -> dict[str, Any]:
        public = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": KEY_ID, "alg": "RS256", "use": "sig"}]}

    def token(self, form: dict[str, str], authorization: str) -> tuple[dict[str, Any], int]:
        self.token_requests.append(form)
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if authorization != f"Basic {expected}":
            return {"error": "invalid_client"}, 401
        asked = self.codes.pop(form.get("code", ""), None)
        if asked is None or form.get("redirect_uri") != asked["redirect_uri"]:
            return {"error": "invalid_grant"}, 400
        verifier = form.get("code_verifier", "").encode()
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=").decode()
        if challenge != asked["code_challenge"]:
            return {"error": "invalid_grant", "error_description": "PKCE"}, 400
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": "subject-1",
            "aud": self.client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": asked["nonce"],
            **self.subject,
            **self.token_overrides,
        }
        if self.algorithm.startswith("HS"):
            key: Any = self.client_secret
        else:
            key = self.sign_with or self.key
        id_token = jwt.encode(claims, key, algorithm=self.algorithm, headers={"kid": KEY_ID})
        return {"access_token": "opaque", "token_type": "Bearer", "id_token": id_token}, 200
