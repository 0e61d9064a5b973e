"""moto's own server (`moto.server.main`, same arguments and logs), made cheaper per request.

Run by local/stack/services/moto.ts with the virtualenv's Python:
    .local/venv/bin/python local/stack/services/moto-server.py -H 127.0.0.1 -p 15000 \
        --s3-journal .local/data/moto/s3-journal.jsonl

`--s3-journal PATH` (this launcher's own argument, taken out before moto sees the rest):
S3 survives a kill -9 of this server; see moto_s3_journal.py.

The suite and the benchmarks send moto thousands of small requests (archive objects,
quarantine records, listings), and moto's cost is per request, not per item. Three
changes, none of which alters what any request answers:

1. HTTP/1.1 keep-alive. Werkzeug's development server closes every connection
   (`Connection: close`, then waits up to 10 ms for stray body bytes), so each SDK request
   paid a TCP connect and a new server thread. Here a connection stays open when the
   request's body was read exactly (Content-Length, no chunked upload) and the client did
   not ask to close; anything else closes as before. TCP_NODELAY, since the response's
   headers and body are separate writes (with Nagle and delayed ACKs, ~40 ms each).
2. moto looks the Host header up in `list_of_moto_modules()`, which lists moto's package
   folder and stats ~150 entries on every request: the list is read once.
3. moto lists its response class's methods (`inspect.getmembers`) on every request: the
   list is computed once per class.

DynamoDB is not served here any more: Dynoxide (local/stack/services/dynoxide.ts) is the
stack's DynamoDB, so the lock that serialised moto's non-isolated TransactWriteItems is gone.

Written against the pinned moto 5.2.5 / werkzeug 3.1 (local/requirements.txt); if a
future version moves what is patched, the launcher fails loudly at start.
"""

from __future__ import annotations

import functools
import selectors
import sys
import threading
from types import SimpleNamespace
from typing import Any

import moto.server
from moto import backends
from moto.core import responses
from moto.moto_server.werkzeug_app import MotoRequestHandler
from moto_s3_journal import S3Journal
from werkzeug import serving

# An idle kept-alive connection is closed after this long (its thread ends with it).
IDLE_TIMEOUT_S = 120

_modules = tuple(backends.list_of_moto_modules())
backends.list_of_moto_modules = lambda: iter(_modules)
responses.method_names_from_class = functools.lru_cache(maxsize=None)(
    responses.method_names_from_class
)

_request = threading.local()


class _CountingReader:
    """The connection's reader during one request: counts the body bytes the app read."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.consumed = 0
        self.exact = True  # False once something reads in a way this class does not count

    def _count(self, data: bytes) -> bytes:
        self.consumed += len(data)
        return data

    def read(self, size: int = -1) -> bytes:
        return self._count(self.raw.read(size))

    def read1(self, size: int = -1) -> bytes:
        return self._count(self.raw.read1(size))

    def readline(self, size: int = -1) -> bytes:
        return self._count(self.raw.readline(size))

    def readinto(self, buffer: Any) -> int:
        n = self.raw.readinto(buffer)
        self.consumed += n or 0
        return n

    def __getattr__(self, name: str) -> Any:
        self.exact = False
        return getattr(self.raw, name)


class KeepAliveRequestHandler(MotoRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = IDLE_TIMEOUT_S

    def run_wsgi(self) -> None:
        _request.keep_alive = False
        raw = self.rfile
        self.rfile = self._body = _CountingReader(raw)
        try:
            super().run_wsgi()
        finally:
            self.rfile = raw
        if not _request.keep_alive:
            self.close_connection = True

    def log_error(self, format: str, *args: Any) -> None:  # noqa: A002 (http.server's name)
        # an idle kept-alive connection reaching IDLE_TIMEOUT_S is not an error
        if format.startswith("Request timed out"):
            return
        super().log_error(format, *args)

    def send_header(self, keyword: str, value: str) -> None:
        # werkzeug sends `Connection: close` with every response; keep the connection
        # instead when the next request on it can be found exactly.
        if keyword.lower() == "connection" and value.lower() == "close" and self._can_keep():
            _request.keep_alive = True
            return
        super().send_header(keyword, value)

    def _can_keep(self) -> bool:
        if self.close_connection or "Transfer-Encoding" in self.headers:
            return False
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return False
        body = self._body
        if not body.exact or body.consumed > length:
            return False
        # The app answered without reading all of the body: read the rest now, so the
        # next request starts where it should.
        while body.consumed < length:
            if not body.read(min(65536, length - body.consumed)):
                return False
        return True


class _DrainSelector:
    """werkzeug reads whatever arrives within 10 ms after a response (the rest of a body
    it did not read) before closing; on a kept connection that would be the next
    request, so the drain is skipped there."""

    def __init__(self) -> None:
        self._real = selectors.DefaultSelector()

    def register(self, *args: Any) -> Any:
        return self._real.register(*args)

    def select(self, timeout: float | None = None) -> Any:
        if getattr(_request, "keep_alive", False):
            return []
        return self._real.select(timeout)

    def close(self) -> None:
        self._real.close()


if not hasattr(serving, "selectors") or not hasattr(moto.server, "MotoRequestHandler"):
    sys.exit("moto-server.py: werkzeug/moto changed; see local/requirements.txt")
serving.selectors = SimpleNamespace(  # type: ignore[assignment]
    DefaultSelector=_DrainSelector, EVENT_READ=selectors.EVENT_READ
)
moto.server.MotoRequestHandler = KeepAliveRequestHandler  # type: ignore[misc]



def _journaled(journal_path: str) -> Any:
    """moto.server's run_simple, serving moto's app behind the S3 journal, replayed first."""
    real = moto.server.run_simple

    def run_simple(host: str, port: int, app: Any, **options: Any) -> None:
        journal = S3Journal(app, journal_path)
        replayed = journal.replay()
        print(f"moto-server.py: {replayed} S3 writes replayed from {journal_path}", flush=True)
        real(host, port, journal, **options)

    return run_simple


if __name__ == "__main__":
    argv = sys.argv[1:]
    if "--s3-journal" in argv:
        at = argv.index("--s3-journal")
        moto.server.run_simple = _journaled(argv[at + 1])  # type: ignore[assignment]
        del argv[at : at + 2]
    moto.server.main(argv)
