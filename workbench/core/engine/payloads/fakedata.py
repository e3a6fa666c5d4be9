"""Data planes of the fake Azure (standard library only): Blob storage (containers and block
blobs, XML listings) and Key Vault secrets and keys (with the bearer challenge the SDK
expects). The fake reaches them through its proxy: a CONNECT to ``*.blob.core.windows.net`` or
``*.vault.azure.net`` is answered with TLS from the run's wildcard certificate.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from email.utils import formatdate
from xml.sax.saxutils import escape

BLOB = ".blob.core.windows.net"
VAULT = ".vault.azure.net"
SUFFIXES = (BLOB, VAULT)


@dataclass
class Raw:
    """A reply that is not JSON: bytes, their content type and extra headers."""

    data: bytes = b""
    content_type: str = "application/xml"
    headers: dict = field(default_factory=dict)


def served(host: str) -> bool:
    """Whether a data plane of ``host`` is faked (others are refused at the proxy)."""
    return host.endswith(SUFFIXES)


class DataPlanes:
    """In-memory containers, blobs, secrets and keys, per host."""

    def __init__(self, tenant: str) -> None:
        self.tenant = tenant
        self.blobs: dict[str, dict[str, dict[str, bytes]]] = {}
        self.vault: dict[str, dict[str, dict]] = {}
        self.lock = threading.Lock()

    def answer(self, host: str, method: str, path: str, query: dict, raw: bytes, headers):
        """(status, body) for a data-plane request (body: JSON-able, Raw or None)."""
        if host.endswith(VAULT):
            if not headers.get("Authorization"):
                challenge = (
                    f'Bearer authorization="https://login.microsoftonline.com/{self.tenant}", '
                    'resource="https://vault.azure.net"'
                )
                return 401, Raw(b"", "application/json", {"WWW-Authenticate": challenge})
            return self._vault(host, method, path, raw)
        return self._blob(host, method, path, query, raw)

    # ---- Blob storage --------------------------------------------------------------
    def _blob(self, host, method, path, query, raw):
        parts = [p for p in path.split("/") if p]
        with self.lock:
            account = self.blobs.setdefault(host, {})
            if not parts:
                if query.get("comp") == "list":
                    return 200, Raw(_containers_xml(host, account))
                return 200, Raw(b"")  # service properties and the like
            container, name = parts[0], "/".join(parts[1:])
            if not name:
                return self._container(host, account, container, method, query)
            blobs = account.get(container)
            if blobs is None:
                return _blob_error(404, "ContainerNotFound")
            if method == "PUT":
                blobs[name] = raw
                return 201, Raw(
                    b"", headers={**_etag(raw), "x-ms-request-server-encrypted": "true"}
                )
            if name not in blobs:
                return _blob_error(404, "BlobNotFound")
            data = blobs[name]
            if method == "DELETE":
                del blobs[name]
                return 202, Raw(b"")
            meta = {**_etag(data), "x-ms-blob-type": "BlockBlob", "Accept-Ranges": "bytes"}
            if method == "HEAD":
                size = {"Content-Length": str(len(data))}
                return 200, Raw(b"", "application/octet-stream", {**meta, **size})
            meta["Content-Range"] = f"bytes 0-{max(len(data) - 1, 0)}/{len(data)}"
            return (206 if data else 200), Raw(data, "application/octet-stream", meta)

    def _container(self, host, account, container, method, query):
        if method == "PUT" and query.get("restype") == "container":
            if container in account:
                return _blob_error(409, "ContainerAlreadyExists")
            account[container] = {}
            return 201, Raw(b"", headers=_etag(container.encode()))
        if container not in account:
            return _blob_error(404, "ContainerNotFound")
        if method == "DELETE":
            del account[container]
            return 202, Raw(b"")
        if query.get("comp") == "list":
            return 200, Raw(_blobs_xml(host, container, account[container]))
        return 200, Raw(b"", headers=_etag(container.encode()))

    # ---- Key Vault -----------------------------------------------------------------
    def _vault(self, host, method, path, raw):
        parts = [p for p in path.split("/") if p]
        if not parts or parts[0] not in ("secrets", "keys", "deletedsecrets", "deletedkeys"):
            return 404, {"error": {"code": "FakeAzureNotFaked", "message": f"FakeAzure: {path}"}}
        kind, name = parts[0], (parts[1] if len(parts) > 1 else "")
        with self.lock:
            items = self.vault.setdefault(f"{host}/{kind.removeprefix('deleted')}", {})
            if not name:
                listed = [
                    {k: v for k, v in b.items() if k not in ("value", "key")}
                    for b in items.values()
                ]
                return 200, {"value": listed, "nextLink": None}
            if kind.startswith("deleted"):
                return 404, _vault_error(kind, name)
            if method in ("PUT", "POST", "PATCH"):
                body = json.loads(raw or b"{}")
                items[name] = _bundle(host, kind, name, body, items.get(name))
                return 200, items[name]
            if name not in items:
                return 404, _vault_error(kind, name)
            if method == "DELETE":
                bundle = items.pop(name)
                now = int(time.time())
                return 200, {
                    **bundle,
                    "recoveryId": f"https://{host}/deleted{kind}/{name}",
                    "deletedDate": now,
                    "scheduledPurgeDate": now + 7 * 86400,
                }
            return 200, items[name]


def _bundle(host: str, kind: str, name: str, body: dict, old: dict | None) -> dict:
    now = int(time.time())
    version = uuid.uuid4().hex
    attributes = {
        "enabled": True,
        "created": (old or {}).get("attributes", {}).get("created", now),
        "updated": now,
        "recoveryLevel": "Recoverable+Purgeable",
        "recoverableDays": 7,
    }
    if kind == "secrets":
        return {
            "value": body.get("value", (old or {}).get("value", "")),
            "id": f"https://{host}/secrets/{name}/{version}",
            "contentType": body.get("contentType"),
            "attributes": attributes,
            "tags": body.get("tags") or {},
        }
    modulus = base64.urlsafe_b64encode(hashlib.sha512(name.encode()).digest() * 4).decode()
    return {
        "key": {
            "kid": f"https://{host}/keys/{name}/{version}",
            "kty": body.get("kty", "RSA"),
            "key_ops": body.get("key_ops") or ["encrypt", "decrypt", "sign", "verify"],
            "n": modulus.rstrip("="),
            "e": "AQAB",
        },
        "attributes": attributes,
        "tags": body.get("tags") or {},
    }


def _vault_error(kind: str, name: str) -> dict:
    code = "SecretNotFound" if "secret" in kind else "KeyNotFound"
    return {"error": {"code": code, "message": f"FakeAzure: {kind} {name} not found"}}


def _etag(data: bytes) -> dict:
    return {
        "ETag": f'"0x{hashlib.md5(data).hexdigest()[:16].upper()}"',
        "Last-Modified": formatdate(usegmt=True),
    }


def _blob_error(status: int, code: str):
    xml = (
        '<?xml version="1.0" encoding="utf-8"?><Error><Code>'
        f"{code}</Code><Message>FakeAzure: {code}</Message></Error>"
    )
    return status, Raw(xml.encode(), headers={"x-ms-error-code": code})


def _containers_xml(host: str, account: dict) -> bytes:
    rows = "".join(
        f"<Container><Name>{escape(name)}</Name><Properties>"
        f"<Last-Modified>{formatdate(usegmt=True)}</Last-Modified>"
        f'<Etag>"0x1"</Etag><LeaseStatus>unlocked</LeaseStatus>'
        f"<LeaseState>available</LeaseState></Properties></Container>"
        for name in sorted(account)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><EnumerationResults '
        f'ServiceEndpoint="https://{host}/"><Containers>{rows}</Containers>'
        f"<NextMarker /></EnumerationResults>"
    ).encode()


def _blobs_xml(host: str, container: str, blobs: dict) -> bytes:
    now = formatdate(usegmt=True)
    created = datetime.datetime.now(datetime.UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
    rows = "".join(
        f"<Blob><Name>{escape(name)}</Name><Properties><Creation-Time>{created}"
        f"</Creation-Time><Last-Modified>{now}</Last-Modified>"
        f"<Etag>{_etag(data)['ETag']}</Etag><Content-Length>{len(data)}</Content-Length>"
        "<Content-Type>application/octet-stream</Content-Type><BlobType>BlockBlob</BlobType>"
        "<AccessTier>Hot</AccessTier><LeaseStatus>unlocked</LeaseStatus>"
        "<LeaseState>available</LeaseState><ServerEncrypted>true</ServerEncrypted>"
        "</Properties></Blob>"
        for name, data in sorted(blobs.items())
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><EnumerationResults '
        f'ServiceEndpoint="https://{host}/" ContainerName="{escape(container)}">'
        f"<Blobs>{rows}</Blobs><NextMarker /></EnumerationResults>"
    ).encode()
