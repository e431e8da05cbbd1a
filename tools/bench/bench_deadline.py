"""How long a call takes against a server that drips its answer, with a 5 s total deadline (prints figures).

The loopback server sends a valid heartbeat answer one byte every 0.5 s (about 60 s in all), so no single
read ever waits long enough to trip a phase timeout (60 s by default): only the call's total deadline can
end the call. Run: ``hatch run python tools/bench/bench_deadline.py [--deadline 5] [--interval 0.5]``.
"""

from __future__ import annotations

import argparse
import socket
import threading
import time

import anyio

from horde_sdk.ai_horde_api.ai_horde_clients import AIHordeAPIAsyncManualClient, AIHordeAPIManualClient
from horde_sdk.ai_horde_api.apimodels import HordeHeartbeatRequest
from horde_sdk.generic_api.exceptions import HordeError

BODY = b'{"message": "OK", "version": "drip"}'
ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(BODY), BODY)


def _serve(listener: socket.socket, interval: float, stop: threading.Event) -> None:
    def drip(conn: socket.socket) -> None:
        with conn:
            conn.recv(65536)
            for index in range(len(ANSWER)):
                if stop.wait(interval):
                    return
                try:
                    conn.sendall(ANSWER[index : index + 1])
                except OSError:
                    return

    listener.settimeout(0.1)
    while not stop.is_set():
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            continue
        threading.Thread(target=drip, args=(conn,), daemon=True).start()


def main() -> None:
    """Print the wall time of one sync and one async call against the dripping server."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deadline", type=float, default=5.0)
    parser.add_argument("--interval", type=float, default=0.5)
    args = parser.parse_args()
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()
    threading.Thread(target=_serve, args=(listener, args.interval, stop), daemon=True).start()
    options = {"base_url": f"http://127.0.0.1:{listener.getsockname()[1]}/api", "enforce_rate_limits": False}
    print(f"server drips {len(ANSWER)} bytes, one every {args.interval} s; call deadline {args.deadline} s")

    started = time.perf_counter()
    try:
        with AIHordeAPIManualClient(**options) as client:  # type: ignore[arg-type]
            client.submit_request(HordeHeartbeatRequest(), timeout=args.deadline)
        outcome = "answered"
    except HordeError as error:
        outcome = type(error).__name__
    print(f"sync : {time.perf_counter() - started:6.2f} s  ({outcome})")

    async def call_async() -> str:
        try:
            async with AIHordeAPIAsyncManualClient(**options) as client:  # type: ignore[arg-type]
                await client.submit_request(HordeHeartbeatRequest(), timeout=args.deadline)
        except HordeError as error:
            return type(error).__name__
        return "answered"

    started = time.perf_counter()
    outcome = anyio.run(call_async)
    print(f"async: {time.perf_counter() - started:6.2f} s  ({outcome})")
    stop.set()
    listener.close()


if __name__ == "__main__":
    main()
