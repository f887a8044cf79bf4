"""Serving the webhook application with waitress, in this thread or another."""

from __future__ import annotations

import logging
import threading

import waitress
from waitress import wasyncore

from batchcase.webhook import WebhookApp

log = logging.getLogger(__name__)


class Listener:
    """The webhook app on one address; `with Listener(...)` serves in a thread."""

    def __init__(self, app: WebhookApp, bind="127.0.0.1", port=8080, threads=4):
        self.app = app
        self.server = waitress.create_server(
            app,
            host=bind,
            port=port,
            threads=threads,
            # waitress refuses a body of max_request_body_size or more itself,
            # before reading it; the app decides for bodies up to its limit.
            max_request_body_size=app.config.max_body + 1,
            ident="batchcase",
            expose_tracebacks=False,
            clear_untrusted_proxy_headers=True,
        )
        self._thread = None

    @property
    def url(self) -> str:
        listen = getattr(self.server, "effective_listen", None)
        host, port = listen[0] if listen else self._address()
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{port}"

    def _address(self):
        return self.server.effective_host, self.server.effective_port

    def serve_forever(self) -> None:
        """Serve until Ctrl-C (or SystemExit), then close the app."""
        try:
            self.server.run()
        finally:
            self.app.close()

    def __enter__(self) -> Listener:
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve_until_stopped, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def _serve_until_stopped(self) -> None:
        """Poll in short turns and close every connection from this same thread.

        Closing the server's sockets from another thread races its loop.
        """
        sockets = getattr(self.server, "map", None) or self.server._map
        while not self._stopping.is_set():
            wasyncore.loop(timeout=0.05, map=sockets, count=1)
        wasyncore.close_all(sockets)

    def stop(self) -> None:
        """Stop serving, finish the requests under way, then close the app."""
        self._stopping.set()
        self._thread.join(timeout=10)
        self.server.task_dispatcher.shutdown()
        self.app.close()
