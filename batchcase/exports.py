"""Saving a case's export from Emedgene beside the record, in the background.

The webhook receiver queues a case when its status calls for an export
(`--on Finalized=export`); one worker thread fetches exports one at a time,
so a burst of events never opens a burst of requests to Emedgene.
"""

from __future__ import annotations

import logging
import mimetypes
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from batchcase import atomic
from batchcase.errors import ApiError

log = logging.getLogger(__name__)

SAFE_CASE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
EXTENSIONS = {
    "application/json": ".json",
    "application/pdf": ".pdf",
    "application/zip": ".zip",
    "text/csv": ".csv",
    "text/plain": ".txt",
}


def export_name(case_id: str, content_type: str) -> str:
    """The export's file name: `<case id>.export` and the content type's extension."""
    media = content_type.split(";")[0].strip().lower()
    extension = EXTENSIONS.get(media) or mimetypes.guess_extension(media) or ".bin"
    return f"{case_id}.export{extension}"


class ExportWorker:
    """Fetches and saves exports on one thread; a case is queued once at a time.

    `store` is told of each outcome (export_saved / export_failed).
    """

    def __init__(self, client, store, folder):
        self.client, self.store, self.folder = client, store, Path(folder)
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="batchcase-export")
        self._queued: set[str] = set()
        self._lock = threading.Lock()

    def queue(self, case_id: str) -> None:
        with self._lock:
            if case_id in self._queued:
                return
            self._queued.add(case_id)
        self._pool.submit(self._run, case_id)

    def _run(self, case_id: str) -> None:
        try:
            self.export(case_id)
        except Exception:  # a worker that dies silently would stop every export
            log.exception("case %s: export failed unexpectedly", case_id)
        finally:
            with self._lock:
                self._queued.discard(case_id)

    def export(self, case_id: str) -> Path | None:
        """Fetch one case's export and save it atomically; record the outcome."""
        if not SAFE_CASE_ID.fullmatch(case_id):
            self.store.export_failed(case_id, "not a case id batchcase can save")
            return None
        try:
            data, content_type = self.client.export_case(case_id)
            path = self.folder / export_name(case_id, content_type)
            atomic.write_bytes(path, data)
        except (ApiError, OSError) as exc:
            log.warning("case %s: export not saved: %s", case_id, exc)
            self.store.export_failed(case_id, str(exc))
            return None

        log.info("case %s: export saved to %s", case_id, path)
        self.store.export_saved(case_id, path)
        return path

    def close(self) -> None:
        """Let the export under way finish; drop the queued ones."""
        self._pool.shutdown(wait=True, cancel_futures=True)
