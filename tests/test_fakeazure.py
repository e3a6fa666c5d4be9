"""The fake Azure (a payload: standard library only) on loopback ports with a CA and
certificate made by ``fakecloud.make_certs``: TLS verifies for the Azure host names, the token
service answers client credentials with a JWT-shaped token carrying ``tid``, the managed
identity endpoint wants its header, ARM answers by URL shape, fixtures win, the trap logs."""

from __future__ import annotations

import base64
import http.client
import json
import socket
import ssl
import urllib.parse

import pytest

from workbench.core.engine.fakecloud import EXTRA_HOSTS, make_certs
from workbench.core.engine.payloads import fakeazure, fakegraph, smoke_driver


@pytest.fixture(scope="module")
def fake(tmp_path_factory):
    where = tmp_path_factory.mktemp("fake")
    certs = make_certs()
    for name in ("ca", "cert", "key"):
        (where / f"{name}.pem").write_bytes(getattr(certs, name))
    fixture = {"method": "GET", "path": r"/networkSecurityGroups/nsg$", "body": {"shaped": 1}}
    server = fakeazure.FakeAzure(
        str(where / "cert.pem"), str(where / "key.pem"), [fixture], port=0, trap_port=0
    ).start()
    context = ssl.create_default_context(cafile=str(where / "ca.pem"))
    yield server, context
    server.stop()


def _call(fake, method, path, body=None, host="management.azure.com", headers=None):
    server, context = fake
    conn = http.client.HTTPSConnection(host, server.port, context=context, timeout=10)
    conn.sock = context.wrap_socket(
        socket.create_connection(("127.0.0.1", server.port)), server_hostname=host
    )
    data = body if isinstance(body, bytes | None) else json.dumps(body).encode()
    conn.request(method, path, body=data, headers=headers or {})
    response = conn.getresponse()
    raw = response.read()
    return response.status, json.loads(raw) if raw else None


def test_tls_verifies_for_every_mapped_host(fake):
    for host in [*EXTRA_HOSTS, "localhost"]:
        path = "/v1.0/me" if host == fakegraph.HOST else "/subscriptions"
        status, _ = _call(fake, "GET", path, host=host)
        assert status == 200


def test_entra_id_for_any_tenant_and_client_credentials(fake):
    for tenant in ("organizations", fakeazure.TENANT):
        status, doc = _call(
            fake,
            "GET",
            f"/{tenant}/v2.0/.well-known/openid-configuration",
            host="login.microsoftonline.com",
        )
        assert status == 200 and doc["token_endpoint"].endswith(f"/{tenant}/oauth2/v2.0/token")
    form = urllib.parse.urlencode(
        {"grant_type": "client_credentials", "client_id": "app", "client_assertion": "x"}
    ).encode()
    status, token = _call(
        fake,
        "POST",
        f"/{fakeazure.TENANT}/oauth2/v2.0/token",
        form,
        host="login.microsoftonline.com",
    )
    assert status == 200 and token["token_type"] == "Bearer" and token["expires_in"] == 3599
    claims = token["access_token"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    assert claims["tid"] == fakeazure.TENANT and claims["appid"] == "app"
    bad = urllib.parse.urlencode({"grant_type": "password"}).encode()
    status, _ = _call(fake, "POST", "/t/oauth2/v2.0/token", bad, host="login.microsoftonline.com")
    assert status == 400


def test_managed_identity_wants_its_header(fake):
    path = "/msi/token?api-version=2019-08-01&resource=https://management.azure.com/"
    assert _call(fake, "GET", path, host="127.0.0.1")[0] == 400
    status, token = _call(fake, "GET", path, host="127.0.0.1", headers={"X-IDENTITY-HEADER": "x"})
    assert status == 200 and int(token["expires_on"]) > 0 and token["access_token"].count(".") == 2


def test_arm_answers_by_url_shape(fake):
    sub = f"/subscriptions/{fakeazure.SUBSCRIPTION}"
    _, subs = _call(fake, "GET", "/subscriptions?api-version=2022-12-01")
    assert subs["value"][0]["tenantId"] == fakeazure.TENANT
    assert _call(fake, "GET", "/tenants")[1]["value"][0]["tenantId"] == fakeazure.TENANT
    _, disks = _call(fake, "GET", f"{sub}/providers/Microsoft.Compute/disks")
    [disk] = disks["value"]
    assert "/resourceGroups/wb-group/providers/Microsoft.Compute/disks/" in disk["id"]
    vnet = f"{sub}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v1"
    _, made = _call(fake, "PUT", vnet, {"location": "westeurope", "properties": {"a": 1}})
    assert made["properties"] == {"a": 1, "provisioningState": "Succeeded"}
    assert made["type"] == "Microsoft.Network/virtualNetworks" and made["name"] == "v1"
    assert _call(fake, "GET", vnet)[1]["properties"]["a"] == 1  # what was PUT comes back
    listed = _call(
        fake, "GET", f"{sub}/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks"
    )
    assert [v["name"] for v in listed[1]["value"]] == ["v1"]
    _, keys = _call(
        fake,
        "POST",
        f"{sub}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/s/listKeys",
    )
    assert keys["keys"][0]["keyName"] == "key1"
    assert _call(fake, "GET", f"{vnet}?$expand=subnets")[1]["properties"]["subnets"] == {}
    assert _call(fake, "DELETE", vnet)[0] == 200 and _call(fake, "HEAD", vnet)[0] == 204
    assert _call(fake, "GET", "/aliases.json")[1]["error"]["code"] == "FakeAzureNotFound"
    nsg = f"{sub}/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg"
    assert _call(fake, "GET", nsg)[1] == {"shaped": 1}  # a fixture comes first
    _, regions = _call(fake, "GET", f"{sub}/locations?api-version=2022-12-01")
    shown = {r["displayName"]: r["name"] for r in regions["value"]}
    assert shown["East US"] == "eastus" and shown["West Europe"] == fakeazure.LOCATION
    check = f"{sub}/providers/Microsoft.Web/checknameavailability"
    assert _call(fake, "POST", check, {"name": "app1"})[1] == {"nameAvailable": True}
    images = f"{sub}/providers/Microsoft.Compute/locations/eastus/publishers/Canonical"
    _, versions = _call(fake, "GET", f"{images}/artifacttypes/vmimage/offers/o/skus/s/versions")
    assert isinstance(versions, list) and versions[0]["name"]  # bare arrays, as Compute's
    roles = f"{sub}/providers/Microsoft.Authorization/roleDefinitions"
    query = urllib.parse.quote("roleName eq 'acrpull'")
    [role] = _call(fake, "GET", f"{roles}?$filter={query}")[1]["value"]
    assert role["properties"]["roleName"] == "acrpull" and role["name"].startswith("acdd72a7-")
    topic = f"{sub}/resourceGroups/rg/providers/Microsoft.EventGrid/topics/t1"
    assert _call(fake, "PUT", topic, {"location": "eastus"})[0] == 201  # its SDK wants 201
    usages = f"{sub}/providers/Microsoft.Compute/locations/westeurope/usages"
    assert _call(fake, "GET", usages)[1]["value"][0]["name"]["value"] == "cores"
    log = fake[0].summary()["log"]
    assert {"method": "DELETE", "host": "management.azure.com", "path": vnet, "status": 200} in log


def test_the_trap_logs_and_refuses(fake):
    server, _ = fake
    with socket.create_connection(("127.0.0.1", server.trap_port)) as sock:
        sock.sendall(b"CONNECT telemetry.example:443 HTTP/1.1\r\nHost: x\r\n\r\n")
        assert sock.recv(100).startswith(b"HTTP/1.1 403")
    assert server.summary()["escapes"][-1] == "CONNECT telemetry.example:443 HTTP/1.1"


def test_placeholders_get_values_the_fake_accepts():
    args = ["account", "set", "--subscription", "<AZURE_SUBSCRIPTION_ID>", "-g", "<group>"]
    assert smoke_driver.fill(args)[3] == fakeazure.SUBSCRIPTION
    assert smoke_driver.fill(args)[5] == fakeazure.GROUP
    assert smoke_driver.dummy("AZURE_CLIENT_ID") == fakeazure.CLIENT
    assert smoke_driver.dummy("priority") == "100" and smoke_driver.dummy("port") == "443"
    assert smoke_driver.dummy("key") == smoke_driver.dummy("accountKey") == fakeazure.ACCOUNT_KEY
    assert smoke_driver.dummy("registrySku") == "Standard" and smoke_driver.dummy("i") == "1"
    assert smoke_driver.dummy("disk_id").startswith(f"/subscriptions/{fakeazure.SUBSCRIPTION}/")
    token_file = smoke_driver.dummy("AZURE_FEDERATED_TOKEN_FILE")
    with open(token_file) as handle:
        assert handle.read().count(".") == 2  # a JWT-shaped federated token
    assert smoke_driver.login_args("identity") == ["login", "--identity", "--output", "none"]
    assert "--federated-token" in smoke_driver.login_args("federated")


def _tunnel(fake, host: str) -> http.client.HTTPSConnection:
    """An HTTPS connection to ``host`` through the fake's proxy (CONNECT), as requests does."""
    server, context = fake
    conn = http.client.HTTPSConnection("127.0.0.1", server.trap_port, context=context, timeout=10)
    conn.set_tunnel(host, 443)
    return conn


def _send(conn, method, path, body=None, headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    return response.status, response, response.read()


def test_data_planes_are_served_through_the_proxy(fake):
    server, _ = fake
    blob = _tunnel(fake, "acct1.blob.core.windows.net")
    assert _send(blob, "PUT", "/builds?restype=container")[0] == 201
    typed = {"x-ms-blob-type": "BlockBlob"}
    assert _send(blob, "PUT", "/builds/a/b.txt", b"hello", typed)[0] == 201
    listing = _send(blob, "GET", "/builds?restype=container&comp=list")[2].decode()
    assert "<Name>a/b.txt</Name>" in listing and "<Content-Length>5</Content-Length>" in listing
    status, got, data = _send(blob, "GET", "/builds/a/b.txt", headers={"Range": "bytes=0-100"})
    assert status == 206 and data == b"hello" and got.getheader("Content-Range") == "bytes 0-4/5"
    status, got, _ = _send(blob, "GET", "/missing/x")
    assert status == 404 and got.getheader("x-ms-error-code") == "ContainerNotFound"
    vault = _tunnel(fake, "kv1.vault.azure.net")
    status, got, _ = _send(vault, "PUT", "/secrets/db?api-version=7.5", b'{"value": "s3"}')
    assert status == 401 and 'resource="https://vault.azure.net"' in got.getheader(
        "WWW-Authenticate"
    )
    auth = {"Authorization": "Bearer x", "Content-Type": "application/json"}
    made = json.loads(
        _send(vault, "PUT", "/secrets/db?api-version=7.5", b'{"value": "s3"}', auth)[2]
    )
    assert made["value"] == "s3" and made["id"].startswith(
        "https://kv1.vault.azure.net/secrets/db/"
    )
    listed = json.loads(_send(vault, "GET", "/secrets?api-version=7.5", headers=auth)[2])
    assert [s["id"] for s in listed["value"]] == [made["id"]]
    assert "recoveryId" in json.loads(_send(vault, "DELETE", "/secrets/db", headers=auth)[2])
    assert {"acct1.blob.core.windows.net", "kv1.vault.azure.net"} <= set(
        server.summary()["data_planes"]
    )
    with pytest.raises(OSError):
        _send(_tunnel(fake, "example.org"), "GET", "/")
    assert any(e.startswith("CONNECT example.org:443") for e in server.summary()["escapes"])


def test_graph_keeps_what_a_run_creates_and_filters_as_az_asks(fake):
    def graph(method, path, body=None):
        return _call(fake, method, path, body, host="graph.microsoft.com")

    status, app = graph("POST", "/v1.0/applications", {"displayName": "wb-ci"})
    assert status == 201 and app["appId"] and app["passwordCredentials"] == []
    query = urllib.parse.quote("displayName eq 'wb-ci'")
    assert graph("GET", f"/v1.0/applications?$filter={query}")[1]["value"] == [app]
    assert graph("GET", "/v1.0/applications?$filter=" + query.replace("ci", "x"))[1] == {
        "value": []
    }  # nothing of that name: az creates it
    _, sp = graph("POST", "/v1.0/servicePrincipals", {"appId": app["appId"]})
    names = urllib.parse.quote(f"servicePrincipalNames/any(c:c eq '{app['appId']}')")
    assert graph("GET", f"/v1.0/servicePrincipals?$filter={names}")[1]["value"] == [sp]
    secret = graph("POST", f"/v1.0/applications/{app['id']}/addPassword", {})[1]
    assert secret["secretText"]
    [stub] = graph("POST", "/v1.0/directoryObjects/getByIds", {"ids": ["abc"]})[1]["value"]
    assert stub["@odata.type"] == "#microsoft.graph.servicePrincipal" and stub["id"] == "abc"
    assert graph("GET", "/v1.0/devices")[0] == 404
