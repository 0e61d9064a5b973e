"""S3 state that survives a kill -9 of moto: a journal of acknowledged S3 writes.

moto keeps every bucket and object in memory and has no on-disk persistence. Its
recorder (MOTO_ENABLE_RECORDING, /moto-api/recorder/...) is no substitute: it records
every request of every service *before* moto handles it (failed and unacknowledged ones
too, SQS included, reads included), in arrival order rather than in the order concurrent
requests were applied, and its replay goes back through HTTP to the running server.

This journal wraps moto's WSGI application instead:
- an S3 request that can change state (PUT, POST, DELETE) is applied under one lock and,
  when moto answered it 2xx, appended to the journal (one JSON line, flushed to the OS)
  before the response leaves: acknowledged implies journaled, and the journal's order is
  the order the writes were applied in (so a conditional write replays to the outcome it
  had);
- at start, before the server listens, the journal is replayed in process, in order;
  every entry must succeed again, else the launcher exits (a state it cannot rebuild
  exactly is reported, not served);
- moto's own reset (/moto-api/reset, `npm run stack:reset`) empties the journal;
- the journal is compacted at start and whenever it has doubled (past COMPACT_FROM
  bytes) at a DeleteBucket: the writes of every bucket since deleted are dropped with
  the deletion itself (tests delete what they make, so the journal stays about the size
  of the buckets alive), unless a CopyObject read from it, or a request did not name its
  bucket in the path (then nothing is dropped).

Flushed, not fsynced: it models a crashed process (the OS keeps what was written), not
a lost machine. A line torn by the kill was never acknowledged and is dropped. Not
journaled: SQS (nothing in staysync uses it; a replay would resurrect consumed messages)
and requests not signed for S3. Multipart uploads would not replay (moto draws a new
upload id); nothing in staysync makes one, and a replay that fails stops the start.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote

WRITES = frozenset({"PUT", "POST", "DELETE"})
# SigV4 credential scope of a request signed for S3: in the Authorization header, or in
# the query string of a presigned URL.
S3_SCOPE = re.compile(r"/s3/aws4_request")
# Compact online once the journal is past this size and has doubled since the last one.
COMPACT_FROM = 32 * 1024 * 1024
# What a replay needs of the WSGI environ (the rest is per-connection).
KEPT = ("REQUEST_METHOD", "PATH_INFO", "QUERY_STRING", "RAW_URI", "REQUEST_URI",
        "SERVER_NAME", "SERVER_PORT", "SERVER_PROTOCOL", "CONTENT_TYPE", "SCRIPT_NAME",
        "wsgi.url_scheme")


class S3Journal:
    def __init__(self, app: Callable[..., Iterable[bytes]], path: str) -> None:
        self.app = app
        self.path = path
        self.lock = threading.Lock()
        self.file: io.TextIOWrapper | None = None
        self.compacted_size = 0

    def replay(self) -> int:
        """Applies the journal to the (empty) moto; returns how many writes it replayed."""
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        entries: list[dict[str, Any]] = []
        kept = 0  # bytes of whole lines
        if os.path.exists(self.path):
            with open(self.path, "rb") as file:
                for line in file:
                    try:
                        entries.append(json.loads(line))
                    except ValueError:
                        if file.read(1):
                            sys.exit(f"moto-server.py: {self.path} is corrupt mid-file")
                        break  # the last line, torn by a kill: never acknowledged
                    kept += len(line)
            with open(self.path, "r+b") as file:
                file.truncate(kept)
        entries = self._rewrite(compact(entries))
        for number, entry in enumerate(entries, 1):
            status = self._apply(entry)
            if not 200 <= status < 300:
                sys.exit(
                    f"moto-server.py: replaying {self.path}: write {number} "
                    f"({entry['environ']['REQUEST_METHOD']} {entry['environ']['PATH_INFO']}) "
                    f"answered {status} where it had succeeded"
                )
        self.file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 (open for the server's life)
        return len(entries)

    def _apply(self, entry: dict[str, Any]) -> int:
        body = base64.b64decode(entry["body"])
        environ = dict(entry["environ"])
        environ.update({
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.version": (1, 0),
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "REMOTE_ADDR": "127.0.0.1",
        })
        statuses: list[str] = []
        result = self.app(environ, lambda status, headers, exc_info=None: statuses.append(status))
        for _ in result:
            pass
        if hasattr(result, "close"):
            result.close()
        return int(statuses[0][:3])

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/moto-api/reset":
            with self.lock:
                result = self.app(environ, start_response)
                self._file().truncate(0)
                self.compacted_size = 0
                return result
        if environ.get("REQUEST_METHOD") not in WRITES or not _signed_for_s3(environ):
            return self.app(environ, start_response)
        body = _read_body(environ)
        environ["wsgi.input"] = io.BytesIO(body)
        statuses: list[str] = []

        def recording(status: str, headers: Any, exc_info: Any = None) -> Any:
            statuses.append(status)
            return start_response(status, headers, exc_info)

        with self.lock:
            result = self.app(environ, recording)
            if not statuses:
                raise RuntimeError("moto answered without start_response; cannot journal")
            if 200 <= int(statuses[0][:3]) < 300:
                entry = {
                    "environ": {key: environ[key] for key in KEPT if key in environ}
                    | {key: value for key, value in environ.items() if key.startswith("HTTP_")
                       and key != "HTTP_TRANSFER_ENCODING"},
                    "body": base64.b64encode(body).decode("ascii"),
                }
                file = self._file()
                file.write(json.dumps(entry) + "\n")
                file.flush()
                if _deleted_bucket(entry["environ"]) and file.tell() > max(
                    COMPACT_FROM, 2 * self.compacted_size
                ):
                    self._compact_now()
            return result

    def _compact_now(self) -> None:
        self._file().close()
        with open(self.path, "rb") as file:
            entries = [json.loads(line) for line in file]
        self._rewrite(compact(entries))
        self.file = open(self.path, "a", encoding="utf-8")  # noqa: SIM115

    def _rewrite(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Replaces the journal with `entries`: a new file renamed over the old one, so a
        kill leaves one or the other whole."""
        fresh = f"{self.path}.compacting"
        with open(fresh, "w", encoding="utf-8") as file:
            for entry in entries:
                file.write(json.dumps(entry) + "\n")
        os.replace(fresh, self.path)
        self.compacted_size = os.path.getsize(self.path)
        return entries

    def _file(self) -> io.TextIOWrapper:
        if self.file is None:
            raise RuntimeError("S3Journal.replay() must run before the server starts")
        return self.file


def compact(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The entries that rebuild the same S3 state: each bucket's writes up to and including
    its DeleteBucket are dropped (a bucket only deletes once empty, and takes its
    configuration with it), unless a CopyObject read from that bucket meanwhile."""
    dropped: set[int] = set()
    open_writes: dict[str, list[int]] = {}  # bucket -> its writes since it was (re)made
    pinned: set[str] = set()  # buckets some CopyObject read from since they were made
    for index, entry in enumerate(entries):
        environ = entry["environ"]
        bucket = _bucket_of(environ)
        if bucket is None:
            return entries
        source = environ.get("HTTP_X_AMZ_COPY_SOURCE")
        if source is not None:
            pinned.add(unquote(source).lstrip("/").split("/", 1)[0])
        open_writes.setdefault(bucket, []).append(index)
        if _deleted_bucket(environ):
            writes = open_writes.pop(bucket)
            if bucket not in pinned:
                dropped.update(writes)
            pinned.discard(bucket)
    return [entry for index, entry in enumerate(entries) if index not in dropped]


def _bucket_of(environ: dict[str, Any]) -> str | None:
    """The bucket of a path-style request to this server, None for any other form."""
    host = environ.get("HTTP_HOST", "").split(":", 1)[0]
    bucket = environ.get("PATH_INFO", "").lstrip("/").split("/", 1)[0]
    return bucket if host in ("127.0.0.1", "localhost") and bucket else None


def _deleted_bucket(environ: dict[str, Any]) -> bool:
    """DELETE /<bucket> with no subresource: DeleteBucket (DELETE /<bucket>?tagging etc.
    delete a bucket's configuration, DELETE /<bucket>/<key> an object)."""
    path = environ.get("PATH_INFO", "").strip("/")
    return (
        environ.get("REQUEST_METHOD") == "DELETE"
        and path != ""
        and "/" not in path
        and environ.get("QUERY_STRING", "") in ("", "x-id=DeleteBucket")
    )


def _signed_for_s3(environ: dict[str, Any]) -> bool:
    return bool(
        S3_SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        or S3_SCOPE.search(unquote(environ.get("QUERY_STRING", "")))
    )


def _read_body(environ: dict[str, Any]) -> bytes:
    stream = environ["wsgi.input"]
    if environ.get("wsgi.input_terminated"):  # chunked upload: read to its end
        return stream.read()
    length = int(environ.get("CONTENT_LENGTH") or 0)
    return stream.read(length) if length > 0 else b""
