"""A real Orthanc PACS for the tests: started as a child process on a free loopback port, with its own
temporary storage and the DICOMweb plugin, stopped by the PID it was started with.

Orthanc comes from Debian (`orthanc`, `orthanc-dicomweb`; `tools/install-system-libs.sh` installs them).
Where it is missing the tests that need it fail in CI (``CI`` is set) and are skipped with the reason
elsewhere, so a developer without root can still run the rest of the suite.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

ORTHANC_BINARY = "Orthanc"
DICOMWEB_PLUGIN = Path("/usr/share/orthanc/plugins/libOrthancDicomWeb.so")
START_TIMEOUT_SECONDS = 60.0
START_ATTEMPTS = 3  # a free port can be taken by another process between the probe and Orthanc's bind


def free_port() -> int:
    """A TCP port nobody listens on right now (loopback)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def orthanc_missing_reason() -> str | None:
    """Why Orthanc cannot run here, or None when it can."""
    if shutil.which(ORTHANC_BINARY) is None:
        return "the Orthanc binary is not installed (apt-get install orthanc orthanc-dicomweb)"
    if not DICOMWEB_PLUGIN.is_file():
        return f"the Orthanc DICOMweb plugin is missing ({DICOMWEB_PLUGIN}; apt-get install orthanc-dicomweb)"
    return None


def require_orthanc() -> None:
    """Skip (locally) or fail (in CI) when Orthanc is not installed."""
    reason = orthanc_missing_reason()
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI needs a real Orthanc: {reason}; tools/install-system-libs.sh installs it")
    pytest.skip(reason)


@dataclass
class Orthanc:
    """A running Orthanc: its REST root, DICOMweb root and the process."""

    url: str
    process: subprocess.Popen
    folder: Path

    @property
    def dicomweb(self) -> str:
        return f"{self.url}/dicom-web"

    def upload(self, data: bytes) -> str:
        """Store one DICOM file through the REST API (POST /instances); returns Orthanc's id."""
        response = requests.post(f"{self.url}/instances", data=data, timeout=30)
        response.raise_for_status()
        return response.json()["ID"]

    def delete_all(self) -> None:
        for patient in requests.get(f"{self.url}/patients", timeout=30).json():
            requests.delete(f"{self.url}/patients/{patient}", timeout=30).raise_for_status()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_orthanc(folder: Path, *, extra_config: dict | None = None) -> Orthanc:
    """Start Orthanc with storage in ``folder``; returns once GET /system answers."""
    failures = []
    for attempt in range(START_ATTEMPTS):
        try:
            return _start_once(folder / f"run-{attempt}", extra_config)
        except RuntimeError as error:
            failures.append(str(error))
    raise RuntimeError("Orthanc did not start:\n" + "\n---\n".join(failures))


def _start_once(folder: Path, extra_config: dict | None) -> Orthanc:
    folder.mkdir(parents=True, exist_ok=True)
    port, dicom_port = free_port(), free_port()
    config = {
        "Name": "cardgen-tests",
        "StorageDirectory": str(folder / "storage"),
        "IndexDirectory": str(folder / "index"),
        "HttpPort": port,
        "DicomPort": dicom_port,
        "DicomServerEnabled": False,
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": False,
        "HttpCompressionEnabled": False,
        "Plugins": [str(DICOMWEB_PLUGIN)],
        "DicomWeb": {"Enable": True, "Root": "/dicom-web/"},
        **(extra_config or {}),
    }
    config_file = folder / "orthanc.json"
    config_file.write_text(json.dumps(config, indent=2))
    log = open(folder / "orthanc.log", "wb")
    process = subprocess.Popen([ORTHANC_BINARY, str(config_file)], stdout=log, stderr=subprocess.STDOUT,
                               cwd=folder)
    log.close()
    url = f"http://127.0.0.1:{port}"
    server = Orthanc(url=url, process=process, folder=folder)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    auth = None
    users = (extra_config or {}).get("RegisteredUsers")
    if users:
        auth = next(iter(users.items()))
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Orthanc exited with {process.returncode}: "
                               + (folder / "orthanc.log").read_text(errors="replace")[-2000:])
        try:
            if requests.get(f"{url}/system", timeout=2, auth=auth).ok:
                return server
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError("Orthanc did not answer GET /system in time: "
                       + (folder / "orthanc.log").read_text(errors="replace")[-2000:])


class CuttingProxy:
    """A TCP relay in front of Orthanc that breaks each connection after ``limit`` bytes of answers:
    a transfer cut half-way, on a real socket, at a point the test chooses."""

    def __init__(self, upstream_port: int, limit: int) -> None:
        import threading

        self.limit = limit
        self.upstream_port = upstream_port
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(8)
        self.port = self._listener.getsockname()[1]
        self.cuts = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        import threading

        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            threading.Thread(target=self._pump, args=(client, upstream, None), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, self.limit), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, limit: int | None) -> None:
        sent = 0
        try:
            while True:
                data = source.recv(16384)
                if not data:
                    break
                if limit is not None and sent + len(data) > limit:
                    target.sendall(data[: limit - sent])
                    self.cuts += 1
                    break
                target.sendall(data)
                sent += len(data)
        except OSError:
            pass
        for sock in (source, target):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def close(self) -> None:
        self._listener.close()


class ForwardProxy:
    """An HTTP forward proxy on a loopback port, as a hospital's may be: each request arrives with the
    server's absolute URL (``GET http://host:port/path``), is sent on to that server, and its answer
    relayed back. ``requests`` keeps the (method, URL) of everything that went through."""

    def __init__(self) -> None:
        import http.client
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        from urllib.parse import urlsplit

        seen = self.requests = []

        class Relay(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _forward(self) -> None:
                target = urlsplit(self.path)
                if not target.hostname:  # not a proxy request
                    self.send_error(400, "absolute URL expected")
                    return
                seen.append((self.command, self.path))
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("proxy-connection", "connection", "keep-alive")}
                upstream = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=60)
                try:
                    upstream.request(self.command, target.path + (f"?{target.query}" if target.query else ""),
                                     body=body, headers=headers)
                    answer = upstream.getresponse()
                    data = answer.read()
                    self.send_response(answer.status, answer.reason)
                    for key, value in answer.getheaders():
                        if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                            self.send_header(key, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                finally:
                    upstream.close()

            do_GET = do_POST = do_PUT = do_DELETE = _forward

            def log_message(self, *args) -> None:  # quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Relay)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
