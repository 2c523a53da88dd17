"""One TLS context for the process's outgoing HTTP clients.

Building one loads the certifi roots, some 20 ms of CPU; a service that makes an httpx client
per call (a page's read from a peer service) paid it on every call, twice for a task page.
The context holds no per-connection state, so one serves every client in the process.
"""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def tls_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()
