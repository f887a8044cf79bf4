"""The Emedgene HTTP client: authentication, timeouts, retries and paging.

Retries follow one rule: a request may be sent again only when sending it
twice cannot create two cases. Lookups (GET) may always be retried; any
request may be retried when it provably never reached the server (the
connection was never made) or the server refused it with 429. A case POST
that may have reached the server raises UncertainError instead, and the
caller decides, after a lookup, whether to send it again.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import quote, urlsplit

import requests
import urllib3
from tenacity import Retrying, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_base, wait_exponential_jitter

from batchcase.errors import ApiError, AuthError, ConfigError, UncertainError

log = logging.getLogger(__name__)

LOGIN_PATH = "/api/auth/v2/api_login/"
# Not documented publicly: where an Illumina API key is exchanged for a token.
# Override it with --api-key-path or EMEDGENE_API_KEY_PATH (see the README).
API_KEY_LOGIN_PATH = "/api/auth/v2/api_key_login/"
CASES_PATH = "/api/cases/v2/cases"
PAGE_SIZE = 100


@dataclass(frozen=True)
class Credentials:
    """How to authenticate: a username and password, a ready token, or an API key.

    The secret fields are left out of the repr so a credential never reaches
    a log or a traceback by accident.
    """

    username: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    api_key: str | None = field(default=None, repr=False)

    @property
    def kind(self) -> str:
        if self.token:
            return "token"
        if self.api_key:
            return "api key"
        return "password"

    @classmethod
    def from_env(cls, environ=None) -> Credentials | None:
        """Credentials from EMEDGENE_* variables, or None when none are set."""
        env = os.environ if environ is None else environ
        value = {name: _clean(env, name) for name in _CREDENTIAL_VARIABLES}
        if value["EMEDGENE_USERNAME"] and value["EMEDGENE_PASSWORD"]:
            return cls(value["EMEDGENE_USERNAME"], password=value["EMEDGENE_PASSWORD"])
        if value["EMEDGENE_TOKEN"]:
            return cls(token=value["EMEDGENE_TOKEN"])
        if value["EMEDGENE_API_KEY"]:
            return cls(api_key=value["EMEDGENE_API_KEY"])
        return None


_CREDENTIAL_VARIABLES = (
    "EMEDGENE_USERNAME",
    "EMEDGENE_PASSWORD",
    "EMEDGENE_TOKEN",
    "EMEDGENE_API_KEY",
)


def _clean(env, name: str) -> str:
    """A credential variable, trimmed; ConfigError if it holds a control character."""
    value = env.get(name, "").strip()
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise ConfigError(
            f"{name} holds a line break or control character; set it again "
            "without one (a copy-paste often adds it)"
        )
    return value


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry what may be retried."""

    attempts: int = 5
    initial_wait: float = 0.5
    max_wait: float = 30.0
    max_retry_after: float = 120.0


class _RetryableAnswer(Exception):
    """An answer that says 'not now' (429, or 5xx to a lookup); internal only."""

    def __init__(self, response: requests.Response):
        super().__init__(response.status_code)
        self.response = response
        self.retry_after = _retry_after_seconds(response.headers.get("Retry-After"))


def _retry_after_seconds(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class _WaitRetryAfter(wait_base):
    """Wait what the server asked for in Retry-After, else back off with jitter."""

    def __init__(self, policy: RetryPolicy):
        self.cap = policy.max_retry_after
        self.backoff = wait_exponential_jitter(
            multiplier=policy.initial_wait,
            max=policy.max_wait,
            jitter=policy.initial_wait,
        )

    def __call__(self, retry_state) -> float:
        exc = retry_state.outcome.exception()
        if isinstance(exc, _RetryableAnswer) and exc.retry_after is not None:
            return min(exc.retry_after, self.cap)
        return self.backoff(retry_state)


def never_reached_server(exc: BaseException) -> bool:
    """True when a request failed before a connection was made."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if not isinstance(exc, requests.ConnectionError) or not exc.args:
        return False
    reason = getattr(exc.args[0], "reason", None)
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def _may_retry(method: str, exc: BaseException) -> bool:
    if isinstance(exc, _RetryableAnswer) or never_reached_server(exc):
        return True
    return method == "GET" and isinstance(exc, requests.RequestException)


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def check_base_url(url: str) -> str:
    """The host URL without a trailing slash; ConfigError unless http(s)://host."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises on a port out of range
    except ValueError as exc:
        raise ConfigError(f"--host {url!r} is not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"--host {url!r} is not an http:// or https:// URL; "
            "give it like https://<hostname>.emedgene.com"
        )
    if parts.scheme == "http" and parts.hostname not in LOOPBACK:
        raise ConfigError(
            f"--host {url!r} uses http://, which would send the password "
            "unencrypted; use https:// (http:// is for a sandbox on 127.0.0.1)"
        )
    if parts.username or parts.password:
        raise ConfigError(
            "--host must not hold a username or password; "
            "set EMEDGENE_USERNAME and EMEDGENE_PASSWORD instead"
        )
    if parts.query or parts.fragment:
        raise ConfigError(f"--host {url!r} must not have a query or fragment")
    return url.strip().rstrip("/")


def server_message(response: requests.Response) -> str:
    """The server's `message`, or the start of its body when it sent none."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict) and data.get("message"):
        return str(data["message"])
    text = response.text.strip().replace("\n", " ")
    return text[:200] or response.reason or f"HTTP {response.status_code}"


class EmedgeneClient:
    """One Emedgene host, one session, one login shared by every thread."""

    def __init__(
        self,
        host: str,
        credentials: Credentials,
        *,
        timeout: float = 60.0,
        connect_timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        api_key_path: str = API_KEY_LOGIN_PATH,
        pool_size: int = 16,
    ):
        self.host = check_base_url(host)
        self._credentials = credentials
        self.timeout = (min(connect_timeout, timeout), timeout)
        self.retry = retry or RetryPolicy()
        self.api_key_path = "/" + api_key_path.lstrip("/")

        self.session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(
            pool_connections=1, pool_maxsize=pool_size, max_retries=0
        )
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({"Accept": "application/json"})
        _read_environment_once(self.session, self.host)

        self._auth_lock = threading.Lock()
        self._authorization = None
        if credentials.token:
            self._authorization = f"Bearer {credentials.token}"

    def __repr__(self) -> str:
        return f"EmedgeneClient(host={self.host!r}, auth={self._credentials.kind!r})"

    def close(self) -> None:
        self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    # -- authentication -------------------------------------------------

    def login(self) -> None:
        """Exchange the password or API key for a token (a ready token needs none)."""
        creds = self._credentials
        if creds.token:
            return
        if creds.api_key:
            path, payload, what = self.api_key_path, {"api_key": creds.api_key}, "key"
        else:
            payload = {"username": creds.username, "password": creds.password}
            path, what = LOGIN_PATH, "username and password"

        try:
            response = self._request("POST", path, json=payload, authenticated=False)
        except requests.RequestException as exc:
            raise _unreachable(self.host, "login", exc) from None
        self._authorization = _authorization_from(response, what)
        log.info("logged in to %s", self.host)

    def _renew(self, refused: str | None) -> None:
        """Log in again unless another thread already replaced the refused token."""
        if self._credentials.token:
            raise AuthError(
                "Emedgene refused the token (it may have expired); "
                "set a fresh one in EMEDGENE_TOKEN"
            )
        with self._auth_lock:
            if self._authorization == refused:
                log.info("token refused by %s; logging in again", self.host)
                self.login()

    def ensure_login(self) -> None:
        """Log in unless this client already holds a token."""
        if self._authorization is not None:
            return
        with self._auth_lock:
            if self._authorization is None:
                self.login()

    # -- sending --------------------------------------------------------

    def _request(self, method, path, *, json=None, params=None, authenticated=True):
        """Send with the retries this method allows; return the last response."""
        retrying = Retrying(
            stop=stop_after_attempt(self.retry.attempts),
            wait=_WaitRetryAfter(self.retry),
            retry=retry_if_exception(lambda exc: _may_retry(method, exc)),
            before_sleep=lambda state: log.info(
                "%s %s: retrying (attempt %s)", method, path, state.attempt_number + 1
            ),
            reraise=True,
        )
        send = self._send_authenticated if authenticated else self._send
        try:
            return retrying(send, method, path, json, params)
        except _RetryableAnswer as exc:
            return exc.response

    def _send_authenticated(self, method, path, json, params):
        """Send once; on 401/403 log in again once and resend; else AuthError."""
        self.ensure_login()
        used = self._authorization
        response = self._send(method, path, json, params, used)
        if response.status_code not in (401, 403):
            return response

        self._renew(used)
        response = self._send(method, path, json, params, self._authorization)
        if response.status_code in (401, 403):
            raise AuthError(
                f"Emedgene refused {method} {path} twice (HTTP "
                f"{response.status_code}: {server_message(response)}), even "
                "after a fresh login; check the account's permissions",
                status=response.status_code,
            )
        return response

    def _send(self, method, path, json, params, authorization=None):
        headers = {"Authorization": authorization} if authorization else {}
        response = self.session.request(
            method,
            self.host + path,
            json=json,
            params=params,
            headers=headers,
            timeout=self.timeout,
            allow_redirects=False,  # a 307/308 would resend the password elsewhere
        )
        log.debug("%s %s -> %s", method, path, response.status_code)
        if response.status_code == 429:
            raise _RetryableAnswer(response)
        if method == "GET" and response.status_code >= 500:
            raise _RetryableAnswer(response)
        return response

    def _get_json(self, path, params=None, what="lookup"):
        """GET a JSON object; ApiError with the server's message otherwise."""
        try:
            response = self._request("GET", path, params=params)
        except requests.RequestException as exc:
            raise _unreachable(self.host, f"GET {path}", exc) from None
        if response.status_code != 200:
            raise ApiError(
                f"{what} failed (HTTP {response.status_code}): "
                f"{server_message(response)}",
                status=response.status_code,
                response_message=server_message(response),
            )
        return _json_object(response, what)

    # -- the API --------------------------------------------------------

    def create_case(self, body: dict, dry_run: bool = False) -> str | None:
        """Post one case; return its name (None for a dry run that passed).

        Raises UncertainError when the POST may have reached the server but
        no answer says whether the case exists.
        """
        params = {"dry_run": "true" if dry_run else "false"}
        try:
            response = self._request("POST", CASES_PATH, json=body, params=params)
        except requests.RequestException as exc:
            if dry_run or never_reached_server(exc):
                raise _unreachable(self.host, "POST case", exc) from None
            raise UncertainError(_uncertain_reason(exc)) from None

        ok = (200, 201) if dry_run else (201,)
        if response.status_code in ok:
            return None if dry_run else _case_name(response)
        if response.status_code >= 500 and not dry_run:
            raise UncertainError(
                f"Emedgene answered HTTP {response.status_code} "
                f"({server_message(response)}); the case may exist",
                status=response.status_code,
            )
        message = server_message(response)
        raise ApiError(
            f"Emedgene refused the case (HTTP {response.status_code}): {message}",
            status=response.status_code,
            response_message=message,
        )

    def storage(self, storage_id) -> dict:
        """One storage provider (its `scheme` says basespace, s3, ...)."""
        return self._get_json(f"/api/storage/{storage_id}", what="storage lookup")

    def fs_list(self, storage_id, path: str) -> list[dict]:
        """Every resource under a path of a storage provider, all pages."""
        return self._all_pages(
            f"/api/storage/{storage_id}/fs/list", {"path": path}, "resources"
        )

    def find_samples(self, name: str) -> list[dict]:
        """Samples whose name is exactly `name` (fastq samples), all pages."""
        params = {"query": name, "sampleType": "fastq", "exact_match": "true"}
        return self._all_pages("/api/sample/", params, "hits")

    def get_case(self, case_id: str) -> dict:
        """One case, with its status."""
        return self._get_json(f"/api/test/{case_id}/", what=f"case {case_id}")

    def export_case(self, case_id: str) -> tuple[bytes, str]:
        """A case's export as the server sends it: its bytes and content type."""
        path = f"/api/test/{quote(case_id, safe='')}/export/"
        try:
            response = self._request("GET", path)
        except requests.RequestException as exc:
            raise _unreachable(self.host, f"GET {path}", exc) from None
        if response.status_code != 200:
            message = server_message(response)
            raise ApiError(
                f"export of case {case_id} failed (HTTP {response.status_code}): "
                f"{message}",
                status=response.status_code,
                response_message=message,
            )
        return response.content, response.headers.get("Content-Type", "")

    def _all_pages(self, path, params, key) -> list[dict]:
        """Page with from/size until has_more is false or a page comes back empty."""
        items: list[dict] = []
        while True:
            query = {**params, "from": len(items), "size": PAGE_SIZE}
            page = self._get_json(path, query, what=f"listing {path}")
            batch = page.get(key) or []
            items.extend(batch)
            total = page.get("total")
            if not batch or not page.get("has_more", total and len(items) < total):
                return items


def _read_environment_once(session: requests.Session, host: str) -> None:
    """Take proxies and a CA bundle from the environment now, not per request.

    requests re-reads them (and ~/.netrc) on every call, which costs a third
    of a request's time; the settings are the same ones.
    """
    session.proxies.update(requests.utils.get_environ_proxies(host))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle
    session.trust_env = False


def _authorization_from(response: requests.Response, what: str) -> str:
    """The Authorization header a login answer gives, or why there is none."""
    status = response.status_code
    if status in (400, 401, 403):
        message = f"Emedgene refused the {what} (HTTP {status}: "
        raise AuthError(message + f"{server_message(response)})", status=status)
    if status != 200:
        message = f"login failed (HTTP {status}): {server_message(response)}"
        raise ApiError(message, status=status)

    data = _json_object(response, "login")
    token, kind = data.get("access_token"), data.get("token_type") or "Bearer"
    if not token:
        raise AuthError("the login answer holds no access_token")
    return f"{kind} {token}"


def _json_object(response: requests.Response, what: str) -> dict:
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ApiError(f"{what}: the answer is not a JSON object", response.status_code)
    return data


def _case_name(response: requests.Response) -> str:
    name = _json_object(response, "case creation").get("name")
    if not name:
        raise UncertainError("Emedgene answered 201 without a case name", 201)
    return str(name)


def _uncertain_reason(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.ReadTimeout):
        return "no answer within the read timeout; the case may exist (see --timeout)"
    return f"the connection broke after the case was sent ({type(exc).__name__})"


def _unreachable(host: str, what: str, exc: requests.RequestException) -> ApiError:
    if isinstance(exc, requests.Timeout):
        return ApiError(f"{what}: {host} did not answer in time; try more --timeout")
    return ApiError(f"{what}: cannot reach {host} ({type(exc).__name__}); check --host")
