"""A small TCP proxy that injects network faults between the services and their broker or
database: delay, dropped connections, and connections that hang.

It runs an asyncio loop in a thread of the process that owns the local stack (the test, the
fault harness, `make run`), not in a process of its own: the controls are then plain method
calls with no protocol to speak, and it goes away with its owner like every other part of the
stack (decision 0028).

Controls, callable from any thread:
- `delay(seconds)`: every chunk is held `seconds` before it is passed on, both ways (added
  latency; throughput is kept, as on a long link).
- `drop_connections()`: every open connection is cut now (both ends reset); new ones work.
- `hang()`: connections stay open but nothing is passed on, and a new connection is accepted
  but never reaches the target, as in a network partition where no packet says so. Data sent
  meanwhile is held and delivered after `heal()`, as TCP's retransmission would.
- `heal()`: no delay, no hang.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from deploy.local_stack import StackError

_CHUNK = 64 * 1024
_T = TypeVar("_T")


@dataclass(eq=False)
class _Link:
    """One client connection and, once made, its connection to the target."""

    client: asyncio.StreamWriter
    upstream: asyncio.StreamWriter | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def cut(self) -> None:
        for writer in (self.client, self.upstream):
            if writer is not None:
                writer.transport.abort()
        for task in self.tasks:
            task.cancel()


class TcpProxy:
    """Listens on 127.0.0.1:`listen_port` and forwards to `target_host`:`target_port`."""

    def __init__(
        self,
        name: str,
        target_port: int,
        *,
        target_host: str = "127.0.0.1",
        listen_port: int | None = None,
    ) -> None:
        self.name = name
        self.target_host = target_host
        self.target_port = target_port
        # 0: the kernel's choice when it starts listening (a port picked before and bound
        # later can be taken meanwhile by another process).
        self.listen_port = listen_port or 0
        self.accepted = 0
        self._delay = 0.0
        self._links: set[_Link] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._flowing: asyncio.Event | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.listen_port}"

    @property
    def open_connections(self) -> int:
        return len(self._links)

    @property
    def hanging(self) -> bool:
        return self._flowing is not None and not self._flowing.is_set()

    # -- life cycle ------------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> None:
        started = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self._listen())
            except BaseException as exc:  # reported to the starting thread
                failure.append(exc)
                started.set()
                loop.close()
                return
            started.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(self._close_all())
                loop.close()

        self._thread = threading.Thread(target=run, name=f"proxy-{self.name}", daemon=True)
        self._thread.start()
        if not started.wait(timeout) or failure:
            raise StackError(f"proxy {self.name} did not start: {failure[:1]}")

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop has already stopped
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._thread = None

    # -- controls --------------------------------------------------------------------------

    def delay(self, seconds: float) -> None:
        """Hold every chunk `seconds` before passing it on (0: no delay)."""
        self._call(lambda: setattr(self, "_delay", max(0.0, seconds)))

    def drop_connections(self) -> int:
        """Cut every open connection now; returns how many were cut."""

        def cut() -> int:
            links = list(self._links)
            for link in links:
                link.cut()
            self._links.clear()
            return len(links)

        return self._call(cut)

    def hang(self) -> None:
        self._call(lambda: self._events().clear())

    def heal(self) -> None:
        def heal() -> None:
            self._delay = 0.0
            self._events().set()

        self._call(heal)

    # -- inside the loop -------------------------------------------------------------------

    def _call(self, action: Callable[[], _T]) -> _T:
        """Run `action` in the proxy's loop and wait for its result."""
        if self._loop is None:
            raise StackError(f"proxy {self.name} is not running")

        async def run() -> _T:
            return action()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout=10)

    def _events(self) -> asyncio.Event:
        assert self._flowing is not None
        return self._flowing

    async def _listen(self) -> None:
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._server = await asyncio.start_server(
            self._handle, "127.0.0.1", self.listen_port, reuse_address=True
        )
        self.listen_port = int(self._server.sockets[0].getsockname()[1])

    async def _close_all(self) -> None:
        if self._server is not None:
            self._server.close()
        for link in list(self._links):
            link.cut()
        self._links.clear()
        # Every connection's tasks end here, before the loop closes under them.
        others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    async def _handle(
        self, client_reader: asyncio.StreamReader, client: asyncio.StreamWriter
    ) -> None:
        self.accepted += 1
        link = _Link(client)
        self._links.add(link)
        try:
            # While hanging, a new connection is accepted but goes nowhere.
            await self._events().wait()
            try:
                upstream_reader, upstream = await asyncio.open_connection(
                    self.target_host, self.target_port
                )
            except OSError:
                return  # the target is down: the client sees its connection closed
            link.upstream = upstream
            link.tasks = [
                asyncio.create_task(self._pump(client_reader, upstream)),
                asyncio.create_task(self._pump(upstream_reader, client)),
            ]
            # Either direction ending ends the connection (Kafka and PostgreSQL do not
            # half-close), so the other side learns at once.
            await asyncio.wait(link.tasks, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            pass
        finally:
            link.cut()
            self._links.discard(link)

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Read as fast as the sender writes; deliver each chunk when its delay is over and
        nothing hangs. Reading and writing are apart so that a delay adds latency without
        cutting throughput."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()

        async def deliver() -> None:
            while (item := await queue.get()) is not None:
                due, data = item
                wait = due - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                await self._events().wait()
                writer.write(data)
                await writer.drain()

        sender = asyncio.create_task(deliver())
        try:
            while data := await reader.read(_CHUNK):
                queue.put_nowait((loop.time() + self._delay, data))
                if sender.done():
                    break
            queue.put_nowait(None)
            await sender
        except (ConnectionError, OSError):
            pass
        finally:
            sender.cancel()
