"""Running waitress on a background thread, and stopping it quickly and safely.

waitress has no public "stop a running server" call. The sequence here avoids
its two hazards:

* A worker thread that finishes a request writes to the event loop's trigger
  pipe. Once that pipe is closed its fd number can be reused by anything else
  in the process (another host's SQLite file), so the workers are stopped
  first and the pipe is closed only when no thread can write to it.
* Closing sockets from a thread other than the event loop's races with the
  loop. Instead a callback run on the loop thread closes them; with its socket
  map empty the loop returns at once rather than after its select() timeout.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask
from waitress import create_server
from waitress.server import BaseWSGIServer
from waitress.wasyncore import close_all, dispatcher

HOST = "127.0.0.1"
WORKER_THREADS = 8
CONNECTION_LIMIT = 1000
"""Open connections served at once (waitress' default is 100): a load run keeps one per simulated editor, and
connections past the limit wait unanswered, which a client sees as a host that stopped answering."""
STOP_TIMEOUT = 5.0

_log = logging.getLogger(__name__)


class BackgroundServer:
    def __init__(self, app: Flask, port: int = 0) -> None:
        """Bind to 127.0.0.1:port (0 = any free port); raises OSError when it cannot."""
        self._server: BaseWSGIServer = create_server(app, host=HOST, port=port, threads=WORKER_THREADS,
                                                       connection_limit=CONNECTION_LIMIT)
        self.base_url = f"http://{HOST}:{self._server.effective_port}"
        self._thread = threading.Thread(target=self._server.run, name="wopi-refhost", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        server = self._server
        server.task_dispatcher.shutdown(cancel_pending=True, timeout=STOP_TIMEOUT)
        workers_gone = not server.task_dispatcher.threads
        if self._thread.is_alive():
            server.trigger.pull_trigger(self._close_sockets_on_loop_thread)
            self._thread.join(STOP_TIMEOUT)
        if self._thread.is_alive():
            _log.warning("the waitress event loop did not stop within %s s", STOP_TIMEOUT)
            return
        if workers_gone:
            close_all(server._map, ignore_all=True)
            server.trigger.close()
        else:
            # A stuck worker may still pull the trigger: leaking its pipe is
            # safer than letting it write into a reused fd.
            _log.warning("waitress worker threads still running; leaving the trigger pipe open")

    def _close_sockets_on_loop_thread(self) -> None:
        server = self._server
        for channel in list(server._map.values()):
            if channel is server.trigger:
                # Out of the loop, but its pipe stays open until stop() has
                # joined the loop thread.
                channel.del_channel()
            else:
                try:
                    # The listening socket's own close() would close the
                    # trigger too; the base class closes just the socket.
                    dispatcher.close(channel)
                except OSError:
                    pass
