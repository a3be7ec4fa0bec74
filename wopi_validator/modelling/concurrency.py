"""Sending requests to one file at the same moment, each on its own connection.

A race needs the requests to reach the host together: every thread sends over a
connection of its own (its own HttpTransport) and waits at a barrier until all are
ready.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

from wopi_validator.net.transport import HttpTransport
from wopi_validator.wopi.client import WopiClient, WopiResponse

Result = TypeVar("Result")
Call = Callable[[WopiClient], WopiResponse]


def simultaneously(
    client: WopiClient, calls: Sequence[Callable[[WopiClient], Result]], timeout: float
) -> list[Result | Exception]:
    """Run each call with its own copy of ``client`` (same file, token, signer and transcript) at once.

    Returns the answers in the order of ``calls`` (a call may also return something other than one answer,
    such as the load test's editors); a call that raised gives its exception instead.
    """
    barrier = threading.Barrier(len(calls))
    results: list[Result | Exception] = [RuntimeError("the request was not sent")] * len(calls)

    def run(index: int) -> None:
        transport = HttpTransport()
        try:
            own = client.for_file(client.wopi_src, client.token)
            own.transport = transport
            barrier.wait(timeout=timeout)
            results[index] = calls[index](own)
        except Exception as exc:  # the caller reports it with the other answers
            results[index] = exc
        finally:
            transport.close()

    threads = [threading.Thread(target=run, args=(index,), name=f"wopi-race-{index}") for index in range(len(calls))]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    except BaseException:
        barrier.abort()  # interrupted: threads still waiting for the others go on at once instead of timing out
        raise
    return results
