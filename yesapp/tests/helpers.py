"""Small helpers for yesapp's own tests."""

import contextlib
import os
import signal
import socket
import subprocess
import threading


def closed_port() -> int:
    """A loopback TCP port with nothing listening (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_process_group(proc: subprocess.Popen) -> None:
    """SIGTERM to a process started with start_new_session=True and its children; SIGKILL
    after 30 s."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def assert_error_shape(response, status: int, code: str | None = None) -> dict:
    """The response is `status` with the one error shape; returns the `error` object."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "details"}
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], dict)
    if code is not None:
        assert error["code"] == code
    return error


class DripServer:
    """A loopback server that never finishes: it sends its answer a few bytes at a time, each
    well within any per-read timeout. `part`: "headers" or "body" of an HTTP answer, or "tls"
    (a TLS record that never ends, so the client's handshake waits for ever)."""

    def __init__(self, part: str, every: float = 0.2):
        self.part, self.every = part, every
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/drip.png"
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):
            conn.recv(65536)
            if self.part == "tls":  # a handshake record announcing 16 KB, then a byte at a time
                conn.sendall(b"\x16\x03\x03\x40\x00")
            else:
                conn.sendall(b"HTTP/1.1 200 OK\r\n")
            if self.part == "body":
                conn.sendall(b"Content-Type: image/png\r\nConnection: close\r\n\r\n")
            for n in range(300):
                if self.stop.wait(self.every):
                    return
                conn.sendall(f"X-Drip-{n}: 1\r\n".encode() if self.part == "headers" else b"\x00")

    def close(self) -> None:
        self.stop.set()
        self.sock.close()
