"""The run's token provider, lent to the Locust process: it stays in the ``load`` command's process (where the
bundled host runs, and where the user's provider was configured), and the Locust process asks it for tokens.

* :class:`TokenRelay` (the command's process) answers on a loopback port, a JSON line per question, to a peer
  whose first line is the relay's random key (a peer without it is hung up on).
* :class:`RelayClient` (the Locust process) asks it: one connection, one question at a time, each within the
  request timeout (plain sockets: gevent, in that process, makes them cooperative).
* :class:`AskingProvider` is the provider the Locust process's target and files use: ``issue`` asks whoever
  ``ask`` reaches (the relay; for a farm's worker, its master, by a Locust message: ``runner.py``).

A worker never gets the relay's key nor builds the user's provider (a ``command`` provider would run the
master's command there): it asks its master, which asks the relay.
"""

from __future__ import annotations

import json
import secrets
import socket
import threading
from collections.abc import Callable
from typing import Any, BinaryIO

from wopi_validator.errors import ProviderError
from wopi_validator.redaction import REDACTOR
from wopi_validator.tokens import FileToken, TokenProvider

LOOPBACK = "127.0.0.1"
MAX_LINE = 64 * 1024
"""Bytes of one question or answer (a WOPISrc, a token): a longer line ends the connection."""
HANDSHAKE_SECONDS = 10.0
"""How long a peer has to send the key."""


def answer(provider: TokenProvider, wopi_src: str | None) -> dict[str, Any]:
    """``provider``'s token for ``wopi_src`` as plain data, or the one line saying why there is none."""
    try:
        token = provider.issue(wopi_src)
    except ProviderError as exc:
        return {"error": REDACTOR.text(str(exc)).splitlines()[0]}
    except Exception as exc:  # a third party's provider: its failure is a refused token, not a dead relay
        return {"error": REDACTOR.text(f"token provider {provider.name!r}: {type(exc).__name__}: {exc}")[:500]}
    return {"wopi_src": token.wopi_src, "token": token.token, "ttl": token.ttl, "ttl_from_host": token.ttl_from_host}


def _read_json(stream: BinaryIO) -> Any:
    line = stream.readline(MAX_LINE + 1)
    if not line.endswith(b"\n"):
        raise EOFError("the connection ended (or sent a line too long)")
    return json.loads(line)


def _write_json(stream: BinaryIO, value: Any) -> None:
    stream.write(json.dumps(value).encode() + b"\n")
    stream.flush()


class TokenRelay:
    """Serves ``provider``'s tokens on a loopback port until :meth:`close`; a thread per connection."""

    def __init__(self, provider: TokenProvider) -> None:
        self.provider = provider
        self.key = secrets.token_hex(32)
        self._server = socket.create_server((LOOPBACK, 0))
        self.address: tuple[str, int] = self._server.getsockname()[:2]
        self._issuing = threading.Lock()
        """One provider call at a time: providers are not made to be called from several threads."""
        self._closed = threading.Event()
        self._peers: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, name="wopi-token-relay", daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                peer, _ = self._server.accept()
            except OSError:
                return  # closed
            self._peers.append(peer)
            threading.Thread(target=self._serve, args=(peer,), name="wopi-token-relay-peer", daemon=True).start()

    def _serve(self, peer: socket.socket) -> None:
        with peer, peer.makefile("rwb") as stream:
            try:
                peer.settimeout(HANDSHAKE_SECONDS)
                if not secrets.compare_digest(str(_read_json(stream)), self.key):
                    return
                peer.settimeout(None)  # the Locust process asks when its tokens near their expiry: hours apart
                while not self._closed.is_set():
                    question = _read_json(stream)
                    wopi_src = question.get("wopi_src") if isinstance(question, dict) else None
                    with self._issuing:
                        reply = answer(self.provider, wopi_src if isinstance(wopi_src, str) else None)
                    _write_json(stream, reply)
            except (OSError, EOFError, ValueError):
                return

    def close(self) -> None:
        self._closed.set()
        self._server.close()
        for peer in self._peers:
            try:
                peer.shutdown(socket.SHUT_RDWR)  # wakes the thread reading from it
            except OSError:
                pass
        self._thread.join(timeout=5)

    def __enter__(self) -> TokenRelay:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class RelayClient:
    """Asks a :class:`TokenRelay` (``address``, ``key``) for tokens, each question within ``timeout`` seconds."""

    def __init__(self, address: tuple[str, int] | list[Any], key: str, timeout: float) -> None:
        self.address = (str(address[0]), int(address[1]))
        self.key = key
        self.timeout = timeout
        self._peer: socket.socket | None = None
        self._stream: BinaryIO | None = None
        self._asking = threading.Lock()

    def __call__(self, wopi_src: str | None) -> dict[str, Any]:
        with self._asking:
            try:
                stream = self._connected()
                _write_json(stream, {"wopi_src": wopi_src})
                reply = _read_json(stream)
            except (OSError, EOFError, ValueError) as exc:
                self.close()  # a fresh connection for the next question
                return {"error": f"the load command's token relay did not answer: {exc or type(exc).__name__}"}
        return reply if isinstance(reply, dict) else {"error": "the token relay's answer is not an object"}

    def _connected(self) -> BinaryIO:
        if self._stream is None:
            self._peer = socket.create_connection(self.address, timeout=self.timeout)
            self._stream = self._peer.makefile("rwb")
            _write_json(self._stream, self.key)
        return self._stream

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
        if self._peer is not None:
            self._peer.close()
        self._peer, self._stream = None, None


class AskingProvider(TokenProvider):
    """The run's provider, in another process: its name and capabilities, and ``issue`` through ``ask``."""

    def __init__(self, name: str, capabilities: frozenset[str], ask: Callable[[str | None], dict[str, Any]],
                 close: Callable[[], None] | None = None) -> None:
        self.name = name
        self.capabilities = capabilities
        self.ask = ask
        self._close = close

    def issue(self, wopi_src: str | None = None) -> FileToken:
        reply = self.ask(wopi_src)
        token = reply.get("token")
        if "error" in reply or not isinstance(token, str) or not token:
            raise ProviderError(str(reply.get("error") or "the token provider issued no token"))
        REDACTOR.add(token)
        ttl = reply.get("ttl")
        return FileToken(str(reply.get("wopi_src") or wopi_src or ""), token,
                         int(ttl) if isinstance(ttl, int | float) else 0, bool(reply.get("ttl_from_host")))

    def close(self) -> None:
        if self._close is not None:
            self._close()
