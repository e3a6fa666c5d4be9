"""One pooled HTTP client for the package index's file host, trusting the user's CA bundle."""

from __future__ import annotations

import os
import ssl
import threading
from functools import cache

import httpx

_CA_ENV = ("WORKBENCH_CA_BUNDLE", "PIP_CERT", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")


def ca_bundle() -> str | None:
    """The extra CA bundle configured for the package index (corporate proxies), if any."""
    return next((os.environ[v] for v in _CA_ENV if os.environ.get(v)), None)


_LOCK = threading.Lock()


def client() -> httpx.Client:
    """Shared client: keep-alive pool sized for concurrent range reads. Thread-safe: the
    first callers are the fetch pool's workers, and each unguarded call would build its own
    SSL context (CA bundle parsing under the GIL) and pool."""
    with _LOCK:
        return _client()


@cache
def _client() -> httpx.Client:
    context = ssl.create_default_context()
    bundle = ca_bundle()
    if bundle and os.path.exists(bundle):
        context.load_verify_locations(cafile=bundle)
    return httpx.Client(
        verify=context,
        timeout=httpx.Timeout(60.0, connect=15.0),
        limits=httpx.Limits(max_connections=32, max_keepalive_connections=32),
        follow_redirects=True,
        headers={"User-Agent": "workbench (size estimate)"},
    )
