"""HttpTransport: the connection pool a WopiClient sends its requests through.

It is urllib3's PoolManager, the transport under ``requests``, used directly: a
``requests.Session`` adds ~0.3 ms of its own machinery to every request (settings
merged, the URL prepared twice, hooks, adapters), a quarter of a run's time against
a host that answers in about a millisecond. What the session did that matters here
is kept: requests' default headers, cookies the host sets, certificates checked
against certifi's authorities, proxy settings and .netrc of the environment
ignored, redirects not followed, no retries.

Nothing here reads the body: the caller reads it with its own cap and deadline.
"""

from __future__ import annotations

import http.client
import time
from types import SimpleNamespace

import certifi
import urllib3
from requests.cookies import RequestsCookieJar, extract_cookies_to_jar, get_cookie_header
from urllib3.util import make_headers

_DEFAULT_HEADERS = {
    "User-Agent": "wopi-validator",
    "Accept-Encoding": make_headers(accept_encoding=True)["accept-encoding"],
    "Accept": "*/*",
    "Connection": "keep-alive",
}
_READ_CHUNK = 64 * 1024
_POOL_SIZE = 10
"""Hosts kept, and connections kept per host, as requests' adapter keeps them."""


class SendFailed(Exception):
    """A request got no answer; ``reason`` is one line saying why."""

    def __init__(self, reason: str, *, timed_out: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.timed_out = timed_out
        """The host did not answer in time (rather than refusing, resetting or failing TLS)."""


class StillArriving(Exception):
    """The body was still coming in at its deadline."""


class HttpTransport:
    """Sends requests over kept-alive connections; safe to share between threads."""

    def __init__(self) -> None:
        # Certificates are checked against certifi's authorities, as requests checks them.
        self._pool = urllib3.PoolManager(num_pools=_POOL_SIZE, maxsize=_POOL_SIZE, cert_reqs="CERT_REQUIRED",
                                         ca_certs=certifi.where())
        self.cookies = RequestsCookieJar()
        """Cookies the host set, sent back as a browser (and requests' session) would."""

    def send(
        self, method: str, url: str, headers: dict[str, str], body: bytes | None, timeout: float
    ) -> urllib3.BaseHTTPResponse:
        """Send one request and return the answer with its body unread; raises SendFailed without one.

        ``timeout`` bounds the connect and each wait for bytes; the caller closes or drains the answer.
        """
        if not url[:8].lower().startswith(("http://", "https://")):
            raise SendFailed("not an http(s) URL", timed_out=False)
        sent = self._headers(url, headers)
        try:
            response = self._pool.urlopen(
                method, url, body=body, headers=sent, redirect=False, retries=False, preload_content=False,
                decode_content=False, timeout=urllib3.Timeout(connect=timeout, read=timeout),
            )
        except urllib3.exceptions.HTTPError as exc:
            raise SendFailed(describe_send_error(exc, timeout), timed_out=_timed_out(exc)) from None
        except (OSError, ValueError) as exc:
            # http.client refuses a header with a line break or a character outside Latin-1; its message quotes
            # the value, which may be a credential, so it is not repeated.
            what = "a header name or value is not valid in HTTP" if "header" in str(exc).lower() or isinstance(
                exc, UnicodeEncodeError) else type(exc).__name__
            raise SendFailed(f"the request could not be sent: {what}", timed_out=False) from None
        if "set-cookie" in response.headers:
            extract_cookies_to_jar(self.cookies, SimpleNamespace(url=url, headers=sent), response)
        return response

    def _headers(self, url: str, headers: dict[str, str]) -> dict[str, str]:
        """requests' default headers under the caller's (a header the caller names wins, in any case)."""
        given = {name.lower() for name in headers}
        merged = {name: value for name, value in _DEFAULT_HEADERS.items() if name.lower() not in given}
        merged.update(headers)
        if len(self.cookies) and "cookie" not in given:
            cookie = get_cookie_header(self.cookies, SimpleNamespace(url=url, headers=merged))
            if cookie:
                merged["Cookie"] = cookie
        return merged

    def close(self) -> None:
        self._pool.clear()


def read_at_most(response: urllib3.BaseHTTPResponse, limit: int, deadline: float) -> bytes:
    """The body, or its first ``limit + 1`` bytes when it is longer (so the caller can tell it is).

    Raises StillArriving once ``time.monotonic()`` passes ``deadline`` with bytes still coming in (an answer
    dripping in byte by byte meets the deadline all the same: ``read1`` returns whatever has arrived), and
    urllib3's errors or OSError when the answer stalls or breaks off.
    """
    chunks: list[bytes] = []
    size = 0
    while size <= limit and (chunk := response.read1(min(_READ_CHUNK, limit + 1 - size), decode_content=True)):
        chunks.append(chunk)
        size += len(chunk)
        if time.monotonic() > deadline:
            raise StillArriving("the answer was still arriving at the deadline")
    return b"".join(chunks)


def describe_send_error(exc: Exception, timeout: float) -> str:
    """One line saying why urllib3 got no answer."""
    text = str(exc)
    lowered = text.lower()
    if isinstance(exc, urllib3.exceptions.SSLError):
        return f"TLS error: {last_reason(text)}"
    if isinstance(exc, urllib3.exceptions.NameResolutionError):
        return "the host name could not be resolved (DNS failure)"
    if isinstance(exc, urllib3.exceptions.NewConnectionError):  # a subclass of ConnectTimeoutError: before it
        if "refused" in lowered:
            return "connection refused (nothing listens on that port)"
        return f"connection failed: {last_reason(text)}"
    if isinstance(exc, urllib3.exceptions.ConnectTimeoutError):
        return f"could not connect within {timeout:g} s"
    if isinstance(exc, urllib3.exceptions.ReadTimeoutError):
        return f"no answer within {timeout:g} s (read timeout)"
    if isinstance(exc, urllib3.exceptions.ProtocolError):
        cause = exc.args[1] if len(exc.args) > 1 else None
        if isinstance(cause, http.client.HTTPException) and not isinstance(cause, http.client.RemoteDisconnected):
            # A status line that is not HTTP, a header line over 64 KiB, more than 100 headers.
            return f"the host's answer is not valid HTTP ({type(cause).__name__})"
        return "the host closed the connection without a complete answer"
    if isinstance(exc, urllib3.exceptions.LocationParseError):
        return "the URL could not be parsed"  # the error's text repeats the URL, token and all
    if isinstance(exc, urllib3.exceptions.LocationValueError):
        return "not a URL that can be requested" + (" (it names no host)" if "host" in lowered else "")
    return f"{type(exc).__name__}: {last_reason(text)}"


def _timed_out(exc: Exception) -> bool:
    return isinstance(exc, urllib3.exceptions.TimeoutError) and not isinstance(
        exc, urllib3.exceptions.NewConnectionError)


def last_reason(text: str) -> str:
    """The innermost reason of an exception's text (after its last ": "), at most 200 characters."""
    reason = text.rsplit(": ", 1)[-1].strip(" ')\"")
    return reason[:200] or text[:200]

