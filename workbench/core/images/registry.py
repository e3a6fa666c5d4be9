"""A small client of the distribution (OCI) registry API: manifest and config of an image.

Follows what the Docker engine does for a pull: Docker Hub references go to the mirrors of the
user's Docker configuration (``registry-mirrors`` in ``~/.docker/daemon.json`` or
``/etc/docker/daemon.json``, or the engine's own mirror list) and then to the index server the
engine reports; a ``401`` with a ``Bearer`` challenge is answered with an anonymous token from
the realm it names; loopback and ``insecure-registries`` hosts are spoken to over plain HTTP.
No registry host name is built in.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import httpx

from workbench.core.errors import IndexUnreachable, WorkbenchError

DAEMON_CONFIGS = (Path.home() / ".docker" / "daemon.json", Path("/etc/docker/daemon.json"))
HUB = "docker.io"
_HUB_ALIASES = {"docker.io", "index.docker.io", "registry-1.docker.io"}
_ACCEPT = ", ".join(
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ]
)
_INDEX_TYPES = ("image.index", "manifest.list")
_GOARCH = {"x86_64": "amd64", "aarch64": "arm64"}
_REFERENCE = re.compile(
    r"^(?:(?P<host>[a-zA-Z0-9.-]+(?::\d+)?|\[[0-9a-fA-F:]+\](?::\d+)?)/)?"
    r"(?P<repo>[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?$"
)


@dataclass(frozen=True)
class Reference:
    """An image reference split into registry, repository and tag or digest."""

    registry: str
    repository: str
    tag: str

    @classmethod
    def parse(cls, text: str) -> Reference:
        """``python:3.12-alpine`` -> (docker.io, library/python, 3.12-alpine)."""
        m = _REFERENCE.match(text.strip())
        if not m:
            raise WorkbenchError(f"{text!r} is not an image reference such as python:3.12-slim")
        host, repo = m.group("host"), m.group("repo")
        if host and not ("." in host or ":" in host or host == "localhost"):
            host, repo = None, f"{host}/{repo}"  # e.g. library/python: a path, not a host
        registry = HUB if host is None or host in _HUB_ALIASES else host
        if registry == HUB and "/" not in repo:
            repo = f"library/{repo}"
        return cls(registry, repo, m.group("digest") or m.group("tag") or "latest")


@dataclass(frozen=True)
class RegistryImage:
    """What the registry says about one platform's image: compressed layer sizes, config."""

    reference: str
    endpoint: str
    digest: str
    layer_bytes: tuple[int, ...]  # compressed, as stored and transferred
    config: dict

    @property
    def compressed_bytes(self) -> int:
        return sum(self.layer_bytes)

    @property
    def env(self) -> dict[str, str]:
        """The image config's environment (``PYTHON_VERSION`` of the official images)."""
        pairs = (e.partition("=") for e in self.config.get("config", {}).get("Env") or [])
        return {k: v for k, _, v in pairs}


def daemon_settings(paths: Iterable[Path] = DAEMON_CONFIGS) -> dict:
    """``registry-mirrors`` and ``insecure-registries`` merged from the Docker configs."""
    out: dict[str, list[str]] = {"registry-mirrors": [], "insecure-registries": []}
    for path in paths:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        for key, values in out.items():
            values += [v for v in data.get(key) or [] if v not in values]
    return out


def engine_settings(client) -> dict:
    """Mirrors, insecure CIDRs and the index server from the engine's ``info``, if it answers."""
    try:
        info = client.info()
    except Exception:  # no engine: the daemon.json files are all there is
        return {}
    config = info.get("RegistryConfig") or {}
    return {
        "registry-mirrors": list(config.get("Mirrors") or []),
        "insecure-registries": list(config.get("InsecureRegistryCIDRs") or []),
        "index-server": info.get("IndexServerAddress"),
    }


class Registry:
    """Reads manifests and configs; one instance per lookup (it keeps tokens per scope)."""

    def __init__(self, settings: dict | None = None, http: httpx.Client | None = None) -> None:
        self.settings = settings if settings is not None else daemon_settings()
        self.http = http or _http()
        self._tokens: dict[str, str] = {}

    def endpoints(self, ref: Reference) -> list[str]:
        """Base URLs to try for ``ref``, in order."""
        if ref.registry != HUB:
            return [f"{self._scheme(ref.registry)}://{ref.registry}"]
        urls = [m.rstrip("/") for m in self.settings.get("registry-mirrors", [])]
        index = self.settings.get("index-server")
        if index:
            urls.append(re.sub(r"/v1/?$", "", index.rstrip("/")))
        if not urls:
            raise WorkbenchError(
                f"no way to reach {HUB} here: no registry-mirrors in {DAEMON_CONFIGS[0]} or "
                f"{DAEMON_CONFIGS[1]} and no engine to ask; add a mirror or pull the base image"
            )
        return urls

    def _scheme(self, host: str) -> str:
        """``http`` for loopback, ``localhost`` and the configured insecure registries."""
        insecure = self.settings.get("insecure-registries", [])
        name = host[1 : host.find("]")] if host.startswith("[") else host.rsplit(":", 1)[0]
        if host in insecure or name in insecure or name == "localhost":
            return "http"
        try:
            ip = ipaddress.ip_address(name)
        except ValueError:
            return "https"
        nets = [ipaddress.ip_network(n, strict=False) for n in insecure if "/" in n]
        return "http" if ip.is_loopback or any(ip in net for net in nets) else "https"

    def image(self, text: str, arch: str = "x86_64") -> RegistryImage:
        """Manifest (the ``linux/<arch>`` one of an index) and config of ``text``."""
        ref = Reference.parse(text)
        errors = []
        for endpoint in self.endpoints(ref):
            try:
                return self._image(endpoint, ref, text, arch)
            except IndexUnreachable as exc:
                errors.append(str(exc))
        raise IndexUnreachable("; ".join(errors))

    def _image(self, endpoint: str, ref: Reference, text: str, arch: str) -> RegistryImage:
        manifest, digest = self._manifest(endpoint, ref, ref.tag)
        if any(t in manifest.get("mediaType", "") for t in _INDEX_TYPES) or "manifests" in manifest:
            entry = _platform_entry(manifest, arch, text)
            manifest, digest = self._manifest(endpoint, ref, entry["digest"])
        config = self._get(endpoint, ref, f"blobs/{manifest['config']['digest']}").json()
        layers = tuple(int(layer["size"]) for layer in manifest.get("layers", []))
        return RegistryImage(text, endpoint, digest, layers, config)

    def _manifest(self, endpoint: str, ref: Reference, tag: str) -> tuple[dict, str]:
        response = self._get(endpoint, ref, f"manifests/{tag}", accept=_ACCEPT)
        return response.json(), response.headers.get("Docker-Content-Digest", tag)

    def _get(self, endpoint: str, ref: Reference, path: str, accept: str | None = None):
        url = f"{endpoint}/v2/{ref.repository}/{path}"
        headers = {"Accept": accept} if accept else {}
        try:
            response = self._send(url, ref, headers)
            if response.status_code == 401:
                token = self._token(response.headers.get("WWW-Authenticate", ""), ref)
                response = self._send(url, ref, {**headers, "Authorization": f"Bearer {token}"})
        except httpx.HTTPError as exc:
            raise IndexUnreachable(f"registry {endpoint} did not answer ({exc})") from None
        if response.status_code == 404:
            raise WorkbenchError(f"{ref.repository}:{ref.tag} is not in registry {endpoint}")
        if response.status_code >= 400:
            raise IndexUnreachable(f"registry {endpoint}: HTTP {response.status_code} for {url}")
        return response

    def _send(self, url: str, ref: Reference, headers: dict) -> httpx.Response:
        token = self._tokens.get(ref.repository)
        if token and "Authorization" not in headers:
            headers = {**headers, "Authorization": f"Bearer {token}"}
        return self.http.get(url, headers=headers)

    def _token(self, challenge: str, ref: Reference) -> str:
        """An anonymous pull token from the realm of a ``Bearer`` challenge."""
        scheme, _, params = challenge.partition(" ")
        fields = dict(re.findall(r'(\w+)="([^"]*)"', params))
        if scheme.lower() != "bearer" or "realm" not in fields:
            raise IndexUnreachable(
                f"registry for {ref.repository} wants credentials ({challenge or 'no challenge'})"
                "; workbench reads registries anonymously: pull the image onto the engine"
            )
        query = {"scope": fields.get("scope") or f"repository:{ref.repository}:pull"}
        if fields.get("service"):
            query["service"] = fields["service"]
        response = self.http.get(fields["realm"], params=query)
        if response.status_code >= 400:
            raise IndexUnreachable(f"token realm {fields['realm']}: HTTP {response.status_code}")
        data = response.json()
        token = data.get("token") or data.get("access_token")
        if not token:
            raise IndexUnreachable(f"token realm {fields['realm']} gave no token")
        self._tokens[ref.repository] = token
        return token


def _platform_entry(index: dict, arch: str, text: str) -> dict:
    want = _GOARCH.get(arch, arch)
    for entry in index.get("manifests", []):
        platform = entry.get("platform") or {}
        if platform.get("os") == "linux" and platform.get("architecture") == want:
            return entry
    raise WorkbenchError(f"{text} has no linux/{want} image in its registry index")


def _http() -> httpx.Client:
    from workbench.core.http import client

    return client()
