"""A fake Azure (Entra ID, App Service managed identity, ARM) for runs inside a throw-away
container: standard library only, started with the image's own Python, never on the host.

It serves HTTPS on 127.0.0.1:443 with a certificate made per run on the host; the public Azure
host names are mapped to 127.0.0.1 in the container (``--add-host``), so absolute URLs work.
A trap (the ``HTTPS_PROXY`` every az process gets) logs and refuses any attempt to reach
another host. Every request is logged. ARM answers are generic, keyed on the URL shape; fixtures
(method, path regex, status, body) come first; Microsoft Graph is ``fakegraph``, the data
planes ``fakedata``.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import os
import re
import socketserver
import ssl
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

try:  # a package on the host (tests), loose files beside each other in the container
    from . import fakedata, fakegraph
except ImportError:
    import fakedata  # type: ignore[no-redef]  # the same module, as a loose file
    import fakegraph  # type: ignore[no-redef]

TENANT = "72f988bf-0000-4000-8000-00000000f00d"
SUBSCRIPTION = "0b1f6471-0000-4000-8000-00000000c0de"
CLIENT = "11111111-0000-4000-8000-00000000a99d"
GROUP = "wb-group"
LOCATION = "westeurope"
ACCOUNT_KEY = "d29ya2JlbmNoLWZha2Uta2V5MQ=="  # key1 of every storage account (base64, as real)
# Resource providers whose PUT answers 201 (their SDKs accept no 200; e.g. Event Grid topics).
CREATED_201 = ("microsoft.eventgrid",)
# Regions a subscription lists: az maps display names ("East US") to names through them.
REGIONS = (
    ("eastus", "East US"),
    ("eastus2", "East US 2"),
    ("westus", "West US"),
    ("westus2", "West US 2"),
    ("westus3", "West US 3"),
    ("centralus", "Central US"),
    ("northeurope", "North Europe"),
    ("westeurope", "West Europe"),
    ("uksouth", "UK South"),
    ("germanywestcentral", "Germany West Central"),
    ("francecentral", "France Central"),
    ("swedencentral", "Sweden Central"),
    ("southeastasia", "Southeast Asia"),
    ("eastasia", "East Asia"),
    ("japaneast", "Japan East"),
    ("australiaeast", "Australia East"),
    ("canadacentral", "Canada Central"),
    ("brazilsouth", "Brazil South"),
    ("centralindia", "Central India"),
    ("southafricanorth", "South Africa North"),
)
HOSTS = (
    "login.microsoftonline.com",
    "login.windows.net",
    "management.azure.com",
    "management.core.windows.net",
    "graph.microsoft.com",
    "localhost",
)
PORT = 443
TRAP_PORT = 3129
CONFIG = """[cloud]
name = AzureCloud

[core]
instance_discovery = false
collect_telemetry = false
login_experience_v2 = off
survey_message = false
no_color = true
disable_confirm_prompt = true
only_show_errors = false

[extension]
use_dynamic_install = no
"""
# Built-in shapes handlers or scripts read field by field (generic answers lack them).
BUILTIN_FIXTURES = (
    {
        "method": "GET",
        "path": r"/providers/Microsoft\.Compute/locations/[^/]+/usages$",
        "body": {
            "value": [
                {
                    "name": {"value": "cores", "localizedValue": "Total Regional vCPUs"},
                    "currentValue": 4,
                    "limit": 10,
                    "unit": "Count",
                }
            ]
        },
    },
)


def prepare_config_dir(path: str, version: str) -> str:
    """A fresh ``AZURE_CONFIG_DIR``: public cloud, nothing leaves (instance discovery,
    telemetry off), the version check seeded so the first command does not fetch it."""
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "config"), "w") as handle:
        handle.write(CONFIG)
    now = str(datetime.datetime.now())
    versions = {"core": {"local": version}, "azure-cli": {"local": version}}
    with open(os.path.join(path, "versionCheck.json"), "w") as handle:
        json.dump({"versions": versions, "update_time": now, "check_time": now}, handle)
    return path


def seed_login(path: str, secret: str) -> None:
    """The files ``az login --service-principal`` leaves in a config dir (the profile and the
    plaintext secret store), for images whose own ``az login`` cannot run."""
    subscription = {
        "id": SUBSCRIPTION,
        "name": "workbench-fake-subscription",
        "state": "Enabled",
        "user": {"name": CLIENT, "type": "servicePrincipal"},
        "isDefault": True,
        "tenantId": TENANT,
        "environmentName": "AzureCloud",
        "homeTenantId": TENANT,
        "managedByTenants": [],
    }
    with open(os.path.join(path, "azureProfile.json"), "w") as handle:
        json.dump({"installationId": CLIENT, "subscriptions": [subscription]}, handle)
    entry = {"client_id": CLIENT, "tenant": TENANT, "client_secret": secret}
    with open(os.path.join(path, "service_principal_entries.json"), "w") as handle:
        json.dump([entry], handle)


def az_env(ca_file: str, config_dir: str) -> dict[str, str]:
    """Environment for az against the fake: the run's CA trusted, every other host through
    the trap, the managed identity endpoint on the fake."""
    proxy = f"http://127.0.0.1:{TRAP_PORT}"
    return {
        "AZURE_CONFIG_DIR": config_dir,
        "REQUESTS_CA_BUNDLE": ca_file,
        "SSL_CERT_FILE": ca_file,
        "HTTPS_PROXY": proxy,
        "HTTP_PROXY": proxy,
        "https_proxy": proxy,
        "http_proxy": proxy,
        "NO_PROXY": ",".join(("127.0.0.1", *HOSTS)),
        "no_proxy": ",".join(("127.0.0.1", *HOSTS)),
        "IDENTITY_ENDPOINT": f"https://127.0.0.1:{PORT}/msi/token",
        "IDENTITY_HEADER": "workbench-fake",
        "AZURE_CORE_COLLECT_TELEMETRY": "false",
        "AZURE_CORE_INSTANCE_DISCOVERY": "false",
        "AZURE_CORE_NO_COLOR": "true",
        "AZURE_CORE_SURVEY_MESSAGE": "false",
        "AZURE_CORE_DISABLE_CONFIRM_PROMPT": "true",
        "AZURE_EXTENSION_USE_DYNAMIC_INSTALL": "no",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(tenant: str = TENANT, client: str = CLIENT, resource: str = "") -> str:
    """A JWT-shaped access token (nothing checks its signature; ``tid`` is read)."""
    now = int(time.time())
    claims = {
        "aud": resource or "https://management.core.windows.net/",
        "iss": f"https://sts.windows.net/{tenant}/",
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "tid": tenant,
        "oid": client,
        "sub": client,
        "appid": client,
        "idtyp": "app",
    }
    head = _b64(json.dumps({"typ": "JWT", "alg": "RS256", "kid": "fake"}).encode())
    return f"{head}.{_b64(json.dumps(claims).encode())}.{_b64(b'workbench-fake')}"


class _State:
    def __init__(self, fixtures: list[dict]) -> None:
        self.fixtures = [
            (f.get("method", "GET").upper(), re.compile(f["path"]), f) for f in fixtures
        ]
        self.resources: dict[str, dict] = {}
        self.requests: list[dict] = []
        self.escapes: list[str] = []
        self.tunnels: list[str] = []
        self.data = fakedata.DataPlanes(TENANT)
        self.graph = fakegraph.Graph(CLIENT)
        self.lock = threading.Lock()


def _singular(word: str) -> str:
    word = word.split(".")[-1].lower()
    return word[:-1] if word.endswith("s") else word


def _is_guid(text: str) -> bool:
    return bool(re.fullmatch(r"[0-9a-fA-F-]{36}", text))


class Handler(BaseHTTPRequestHandler):
    """One request: fixtures, then Entra ID, managed identity, ARM metadata, ARM."""

    server_version = "workbench-fake-azure"
    protocol_version = "HTTP/1.1"
    state: _State

    def log_message(self, *args) -> None:  # requests are logged in the state instead
        pass

    def do_GET(self) -> None:
        self._answer()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        path = url.path.rstrip("/") or "/"
        host = (self.headers.get("Host") or "").split(":")[0]
        if fakedata.served(host):
            status, body = self.state.data.answer(
                host, self.command, path, query, raw, self.headers
            )
        elif host == fakegraph.HOST:
            status, body = self.state.graph.answer(self.command, path, query, raw)
        else:
            status, body = self._route(self.command, path, query, raw)
        with self.state.lock:
            self.state.requests.append(
                {"method": self.command, "host": host, "path": path, "status": status}
            )
        if not isinstance(body, fakedata.Raw):
            body = fakedata.Raw(
                b"" if body is None else json.dumps(body).encode(),
                "application/json; charset=utf-8",
            )
        headers = dict(body.headers)
        self.send_response(status)
        self.send_header("Content-Type", body.content_type)
        self.send_header("Content-Length", headers.pop("Content-Length", str(len(body.data))))
        self.send_header("x-ms-request-id", "workbench-fake")
        self.send_header("x-ms-version", "2025-01-05")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body.data)

    def _route(self, method: str, path: str, query: dict, raw: bytes) -> tuple[int, object]:
        for want, pattern, fixture in self.state.fixtures:
            if want == method and pattern.search(path):
                return int(fixture.get("status", 200)), fixture.get("body", {})
        parts = [p for p in path.split("/") if p]
        if len(parts) >= 2 and parts[-2:] == [".well-known", "openid-configuration"]:
            return 200, self._openid(parts[0])
        if parts[-1:] == ["token"] and "oauth2" in parts:
            return self._token(parts[0], raw)
        if path == "/msi/token":
            return self._msi(query)
        if parts[:2] == ["common", "discovery"]:
            return 200, {"tenant_discovery_endpoint": self._base(TENANT) + "/v2.0/.well-known"}
        if parts[:2] == ["metadata", "endpoints"]:
            return 200, _metadata()
        return _arm(self.state, method, path, query, raw)

    def _base(self, tenant: str) -> str:
        return f"https://login.microsoftonline.com/{tenant}"

    def _openid(self, tenant: str) -> dict:
        base = self._base(tenant)
        issuer_tenant = tenant if _is_guid(tenant) else "{tenantid}"
        return {
            "issuer": f"https://login.microsoftonline.com/{issuer_tenant}/v2.0",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "response_types_supported": ["code", "id_token", "token"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
            "tenant_region_scope": "EU",
        }

    def _token(self, tenant: str, raw: bytes) -> tuple[int, dict]:
        form = dict(urllib.parse.parse_qsl(raw.decode(errors="replace")))
        if form.get("grant_type") != "client_credentials":
            return 400, {
                "error": "unsupported_grant_type",
                "error_description": "FakeAzure: only client_credentials (secret or assertion)",
            }
        if not (form.get("client_secret") or form.get("client_assertion")):
            return 401, {"error": "invalid_client", "error_description": "FakeAzure: no secret"}
        tid = tenant if _is_guid(tenant) else TENANT
        client = form.get("client_id") or CLIENT
        return 200, {
            "token_type": "Bearer",
            "expires_in": 3599,
            "ext_expires_in": 3599,
            "access_token": token(tid, client),
        }

    def _msi(self, query: dict) -> tuple[int, dict]:
        if not self.headers.get("X-IDENTITY-HEADER"):
            return 400, {"error": "FakeAzure: X-IDENTITY-HEADER missing"}
        resource = query.get("resource", "https://management.core.windows.net/")
        return 200, {
            "access_token": token(TENANT, CLIENT, resource),
            "expires_on": str(int(time.time()) + 3600),
            "resource": resource,
            "token_type": "Bearer",
            "client_id": CLIENT,
        }


def _metadata() -> list[dict]:
    return [
        {
            "name": "AzureCloud",
            "portal": "https://portal.azure.com",
            "authentication": {
                "loginEndpoint": "https://login.microsoftonline.com",
                "audiences": ["https://management.core.windows.net/"],
                "tenant": "common",
                "identityProvider": "AAD",
            },
            "resourceManager": "https://management.azure.com/",
            "graph": "https://graph.windows.net/",
            "microsoftGraphResourceId": "https://graph.microsoft.com/",
            "suffixes": {
                "storage": "core.windows.net",
                "keyVaultDns": "vault.azure.net",
                "acrLoginServer": "azurecr.io",
            },
        }
    ]


def _subscription() -> dict:
    return {
        "id": f"/subscriptions/{SUBSCRIPTION}",
        "subscriptionId": SUBSCRIPTION,
        "tenantId": TENANT,
        "displayName": "workbench-fake-subscription",
        "state": "Enabled",
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "spendingLimit": "Off",
        },
        "authorizationSource": "RoleBased",
    }


def _location(name: str, shown: str) -> dict:
    return {
        "id": f"/subscriptions/{SUBSCRIPTION}/locations/{name}",
        "name": name,
        "displayName": shown,
        "regionalDisplayName": f"(Fake) {shown}",
        "metadata": {"regionType": "Physical"},
    }


def _error(status: int, code: str, message: str) -> tuple[int, dict]:
    return status, {"error": {"code": f"FakeAzure{code}", "message": f"FakeAzure: {message}"}}


def _arm(state: _State, method: str, path: str, query: dict, raw: bytes) -> tuple[int, object]:
    parts = [p for p in path.split("/") if p]
    low = [p.lower() for p in parts]
    if method == "HEAD":
        return 204, None
    if path.endswith(".json"):
        return _error(404, "NotFound", f"no document {path}")
    if low == ["subscriptions"]:
        return 200, {"value": [_subscription()]}
    if low == ["tenants"]:
        return 200, {
            "value": [
                {
                    "id": f"/tenants/{TENANT}",
                    "tenantId": TENANT,
                    "displayName": "workbench fake tenant",
                    "defaultDomain": "workbench-fake.onmicrosoft.com",
                    "tenantCategory": "Home",
                }
            ]
        }
    if len(low) == 2 and low[0] == "subscriptions":
        return 200, _subscription()
    if len(low) == 3 and low[0] == "subscriptions" and low[2] == "locations":
        return 200, {"value": [_location(name, shown) for name, shown in REGIONS]}
    if method == "POST":
        return 200, _action(parts[-1])
    if method == "DELETE":
        with state.lock:
            state.resources.pop(path.lower(), None)
        return 200, None
    collection = len(parts) % 2 == 1
    if method in ("PUT", "PATCH"):
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return _error(400, "BadRequest", "the body is not JSON")
        with state.lock:
            old = state.resources.get(path.lower(), {}) if method == "PATCH" else {}
            item = {**_item(parts), **old, **(body if isinstance(body, dict) else {})}
            props = item.setdefault("properties", {})
            if isinstance(props, dict):
                props["provisioningState"] = "Succeeded"
            state.resources[path.lower()] = item
        return (201 if method == "PUT" and _answers_201(path) else 200), item
    if collection and low[-1] == "roledefinitions":
        return 200, {"value": [_role(parts, query.get("$filter", ""))]}
    if collection:
        stored = [v for k, v in state.resources.items() if k.rsplit("/", 1)[0] == path.lower()]
        found = stored or [_item([*_in_group(parts), f"wb-{_singular(parts[-1])}"])]
        # the VM image catalogue (publishers, offers, skus, versions) answers bare arrays
        return 200, found if "artifacttypes" in low else {"value": found}
    with state.lock:
        item = state.resources.get(path.lower()) or _item(parts)
    expand = query.get("$expand")
    if expand:
        item = {**item, "properties": {**item.get("properties", {}), expand: {}}}
    return 200, item


def _role(parts: list[str], query_filter: str) -> dict:
    """A role definition, named as the ``roleName eq '...'`` filter asks (az looks roles up)."""
    named = re.search(r"roleName eq '([^']*)'", query_filter)
    name = named.group(1) if named else "Reader"
    guid = "acdd72a7-0000-4000-8000-" + hashlib.sha256(name.lower().encode()).hexdigest()[:12]
    item = _item([*parts, guid])
    item["type"] = "Microsoft.Authorization/roleDefinitions"
    item["properties"] = {"roleName": name, "type": "BuiltInRole", "permissions": []}
    return item


def _answers_201(path: str) -> bool:
    """Resource providers whose SDKs accept only 201 Created from a PUT (most accept 200)."""
    low = path.lower()
    return any(f"/providers/{rp}/" in low for rp in CREATED_201)


def _in_group(parts: list[str]) -> list[str]:
    """A collection path with a resource group (handlers parse ids for it)."""
    low = [p.lower() for p in parts]
    if "resourcegroups" in low or len(parts) < 2:
        return parts
    return [*parts[:2], "resourceGroups", GROUP, *parts[2:]]


def _item(parts: list[str]) -> dict:
    """A resource synthesised from its URL: id, name, type, location, tags, properties."""
    low = [p.lower() for p in parts]
    rtype = "Microsoft.Resources/resourceGroups"
    if "providers" in low:
        at = len(low) - 1 - low[::-1].index("providers")
        rest = parts[at + 1 :]
        rtype = "/".join(rest[:1] + rest[1::2]) if rest else rtype
    elif low[-2:-1] == ["resourcegroups"]:
        rtype = "Microsoft.Resources/resourceGroups"
    return {
        "id": "/" + "/".join(parts),
        "name": parts[-1] if parts else "wb",
        "type": rtype,
        "location": LOCATION,
        "tags": {},
        "properties": {"provisioningState": "Succeeded"},
    }


def _action(name: str) -> object:
    low = name.lower()
    if low == "checknameavailability":
        return {"nameAvailable": True}
    if low in ("listkeys", "regeneratekey", "listcredentials") or low.endswith("keys"):
        return {
            "keys": [
                {"keyName": "key1", "value": ACCOUNT_KEY, "permissions": "FULL"},
                {"keyName": "key2", "value": "d29ya2JlbmNoLWZha2Uta2V5Mg==", "permissions": "FULL"},
            ]
        }
    if low.startswith("list"):
        return {"value": []}
    return {}


class _Trap(socketserver.BaseRequestHandler):
    """The proxy every az process is pointed at: a CONNECT to a faked data plane is answered
    with TLS and served by the fake; anything else is logged as an escape and refused."""

    state: _State
    fake: FakeAzure

    def handle(self) -> None:
        try:
            head = self.request.recv(65536)
            line = head.split(b"\r\n", 1)[0].decode(errors="replace")
            words = line.split()
            host = words[1].rsplit(":", 1)[0] if len(words) > 1 else ""
            if words[:1] == ["CONNECT"] and fakedata.served(host):
                with self.state.lock:
                    self.state.tunnels.append(host)
                self.request.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                tls = self.fake.context.wrap_socket(self.request, server_side=True)
                self.fake.server.RequestHandlerClass(tls, self.client_address, self.fake.server)
                return
            with self.state.lock:
                self.state.escapes.append(line[:300])
            self.request.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
        except (OSError, ssl.SSLError):
            pass


class FakeAzure:
    """The fake on 127.0.0.1:443 and the trap on :3129 (other ports for tests), in daemon
    threads of this process."""

    def __init__(
        self,
        cert_file: str,
        key_file: str,
        fixtures: list[dict] | None = None,
        *,
        port: int = PORT,
        trap_port: int = TRAP_PORT,
    ):
        self.state = _State([*(fixtures or []), *BUILTIN_FIXTURES])
        handler = type("BoundHandler", (Handler,), {"state": self.state})
        trap = type("BoundTrap", (_Trap,), {"state": self.state, "fake": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(cert_file, key_file)
        self.server.socket = self.context.wrap_socket(self.server.socket, server_side=True)
        self.server.daemon_threads = True
        self.trap = socketserver.ThreadingTCPServer(("127.0.0.1", trap_port), trap)
        self.trap.daemon_threads = True
        self.port, self.trap_port = self.server.server_address[1], self.trap.server_address[1]

    def start(self) -> FakeAzure:
        """Serve in background threads."""
        for server in (self.server, self.trap):
            threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving and close both sockets."""
        for server in (self.server, self.trap):
            server.shutdown()
            server.server_close()

    def summary(self) -> dict:
        """Request count, the last requests, every escape, the data-plane hosts tunnelled."""
        with self.state.lock:
            requests = list(self.state.requests)
            escapes = list(self.state.escapes)
            tunnels = sorted(set(self.state.tunnels))
        return {
            "requests": len(requests),
            "log": requests[-200:],
            "escapes": escapes,
            "data_planes": tunnels,
        }
