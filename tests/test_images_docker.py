"""The whole image, for real: a distribution registry on loopback (Debian's docker-registry,
started here with our own config) holding the test base; the probe of a local image; init of
a base whose name tells nothing; and the acceptance figure: the whole-image estimate of the
blog recipe against the engine's size of the built image."""

from __future__ import annotations

import base64
import contextlib
import http.server
import json
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from workbench.core.images.base import COMPRESSED_RATIO, base_size, registry_size
from workbench.core.images.probe import probe_image
from workbench.core.images.registry import Reference, Registry

pytestmark = pytest.mark.docker
ROOT = Path(__file__).resolve().parents[1]
WORKBENCH = Path(sys.executable).with_name("workbench")
REGISTRY_BIN = shutil.which("docker-registry") or "/usr/bin/docker-registry"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int) -> None:
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port}")


@contextlib.contextmanager
def _running_registry(root: Path, auth: str, client, base_image: str):
    """docker-registry on a free loopback port with our config (``auth`` YAML appended),
    holding the test base as ``workbench-test/debian-python:bookworm``; yields host:port."""
    if not Path(REGISTRY_BIN).exists():
        reason = "docker-registry is not installed (apt-get install -y docker-registry)"
        if IN_CI:
            pytest.fail(f"{reason}; scripts/provision-registry.sh should have done it")
        pytest.skip(reason)
    port = _free_port()
    config = root / "config.yml"
    config.write_text(
        "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n"
        f"    rootdirectory: {root / 'data'}\nhttp:\n  addr: 127.0.0.1:{port}\n{auth}"
    )
    proc = subprocess.Popen(
        [REGISTRY_BIN, "serve", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    ref = f"127.0.0.1:{port}/workbench-test/debian-python"
    try:
        _wait_port(port)
        client.images.get(base_image).tag(ref, "bookworm")
        for line in client.images.push(ref, "bookworm", stream=True, decode=True):
            assert "error" not in line, line
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(10)
        with contextlib.suppress(Exception):  # the tag may not exist if the push never ran
            client.images.remove(f"{ref}:bookworm")


@pytest.fixture(scope="session")
def registry(tmp_path_factory, docker_client, base_image):
    """An anonymous registry on loopback holding the test base."""
    with _running_registry(tmp_path_factory.mktemp("registry"), "", docker_client, base_image) as r:
        yield r


@pytest.fixture(scope="session")
def token_registry(tmp_path_factory, docker_client, base_image):
    """A registry that wants a bearer token (``auth: token``), with a token server on
    loopback that grants anonymous pull and push tokens signed by a test certificate."""
    root = tmp_path_factory.mktemp("token-registry")
    server = TokenServer(root)
    auth = (
        f"auth:\n  token:\n    realm: {server.realm}\n    service: {TokenServer.SERVICE}\n"
        f"    issuer: {TokenServer.ISSUER}\n    rootcertbundle: {server.cert_path}\n"
    )
    try:
        with _running_registry(root, auth, docker_client, base_image) as r:
            yield r, server
    finally:
        server.close()


class TokenServer:
    """The Docker token protocol's realm: a JWT (RS256, x5c = the self-signed test cert) for
    whatever scope is asked, to anyone (anonymous). Counts the tokens it handed out."""

    SERVICE, ISSUER = "workbench-test-registry", "workbench-test-issuer"

    def __init__(self, root: Path) -> None:
        import datetime

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID

        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "workbench test token")])
        now = datetime.datetime.now(datetime.UTC)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.cert_path = root / "token-cert.pem"
        self.cert_path.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        self.issued: list[str] = []
        handler = self._handler()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.realm = f"http://127.0.0.1:{self.httpd.server_port}/token"

    def token(self, scope: str) -> str:
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding

        def b64(data: bytes) -> str:
            return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

        der = self.cert.public_bytes(serialization.Encoding.DER)
        header = {"alg": "RS256", "typ": "JWT", "x5c": [base64.b64encode(der).decode()]}
        access = []
        for item in scope.split():
            kind, _, rest = item.partition(":")
            name, _, actions = rest.rpartition(":")
            access.append({"type": kind, "name": name, "actions": actions.split(",")})
        now = int(time.time())
        claims = {
            "iss": self.ISSUER,
            "sub": "",
            "aud": self.SERVICE,
            "exp": now + 600,
            "nbf": now - 60,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "access": access,
        }
        signing = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
        signature = self.key.sign(signing.encode(), padding.PKCS1v15(), hashes.SHA256())
        self.issued.append(scope)
        return f"{signing}.{b64(signature)}"

    def _handler(self):
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
                token = server.token(" ".join(query.get("scope", [])))
                body = json.dumps({"token": token, "access_token": token}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        return Handler

    def close(self) -> None:
        self.httpd.shutdown()


def test_reference_grammar():
    assert Reference.parse("python:3.12-alpine") == Reference(
        "docker.io", "library/python", "3.12-alpine"
    )
    assert Reference.parse("127.0.0.1:5000/a/b") == Reference("127.0.0.1:5000", "a/b", "latest")
    with pytest.raises(Exception, match="not an image reference"):
        Reference.parse("Bad Name")


def test_manifest_and_config_read_from_the_registry(registry, docker_client, base_image):
    image = Registry({}).image(f"{registry}/workbench-test/debian-python:bookworm")
    assert image.endpoint == f"http://{registry}"
    assert image.digest.startswith("sha256:")
    assert image.config["architecture"] == "amd64"
    assert len(image.layer_bytes) == len(image.config["rootfs"]["diff_ids"]) == 1
    engine = docker_client.api.inspect_image(base_image)["Size"]
    measured_ratio = engine / image.compressed_bytes
    print(
        f"compressed {image.compressed_bytes:,} B, engine {engine:,} B, ratio {measured_ratio:.3f}"
    )
    assert abs(measured_ratio - COMPRESSED_RATIO) / COMPRESSED_RATIO < 0.05


def test_base_size_measured_on_the_engine_and_derived_from_the_registry(
    registry, docker_client, base_image
):
    exact = base_size(base_image, client=docker_client)
    assert (
        exact.how == "measured"
        and exact.bytes == docker_client.api.inspect_image(base_image)["Size"]
    )
    derived = registry_size(
        f"{registry}/workbench-test/debian-python:bookworm", registry=Registry({})
    )
    assert derived.how == "derived" and "compressed" in derived.source
    assert abs(derived.bytes - exact.bytes) / exact.bytes < 0.05


def test_anonymous_bearer_token_flow(token_registry):
    """A 401 with a Bearer challenge: the client fetches an anonymous token from the realm."""
    registry, server = token_registry
    before = len(server.issued)
    image = Registry({}).image(f"{registry}/workbench-test/debian-python:bookworm")
    assert image.config["architecture"] == "amd64" and image.compressed_bytes > 0
    assert server.issued[before:] == ["repository:workbench-test/debian-python:pull"]


def test_missing_tag_is_one_line(registry):
    with pytest.raises(Exception, match="is not in registry"):
        Registry({}).image(f"{registry}/workbench-test/debian-python:nope")


def test_probe_of_the_test_base(docker_client, base_image):
    facts = probe_image(docker_client, base_image)
    assert (facts.python, facts.libc, facts.libc_version, facts.arch) == (
        "3.11",
        "glibc",
        "2.36",
        "x86_64",
    )
    assert (facts.family, facts.release) == ("apt", "bookworm")
    assert "python3" in facts.have()


def test_init_probes_a_base_whose_name_tells_nothing(tmp_path, docker_client, base_image):
    tag = "workbench-test/h13-company-base:1"
    docker_client.images.get(base_image).tag(tag)
    try:
        shutil.copy(ROOT / "sample-scripts" / "tag-disks.sh", tmp_path)
        done = subprocess.run(
            [str(WORKBENCH), "init", "--script", "tag-disks.sh", "--base", tag, "--json"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        data = json.loads(done.stdout)
        assert data["family"] == "apt"
        assert data["target"] == {
            "python": "3.11",
            "libc": "glibc",
            "libc_version": "2.36",
            "arch": "x86_64",
        }
    finally:
        docker_client.images.remove(tag)


def _workbench(*args, cwd):
    done = subprocess.run([str(WORKBENCH), *args], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@pytest.mark.network
def test_whole_image_estimate_of_the_blog_recipe_within_3_percent(
    tmp_path, docker_client, base_image
):
    """Acceptance: the blog sample, all trims, multistage, on the test base."""
    shutil.copy(ROOT / "sample-scripts" / "tag-disks.sh", tmp_path)
    _workbench(
        "init",
        "--script",
        "tag-disks.sh",
        "--base",
        base_image,
        "--family",
        "apt",
        "--mode",
        "multistage",
        "-o",
        "wb.toml",
        cwd=tmp_path,
    )
    estimate = json.loads(
        _workbench(
            "estimate",
            "--script",
            "tag-disks.sh",
            "--trim",
            "all",
            "--base",
            base_image,
            "--image",
            "--json",
            cwd=tmp_path,
        )
    )["image"]
    built = json.loads(
        _workbench(
            "build",
            "--recipe",
            "wb.toml",
            "--tag",
            "workbench-test/h13-blog:whole",
            "--json",
            cwd=tmp_path,
        )
    )
    try:
        actual = docker_client.api.inspect_image(built["image_id"])["Size"]
        error = estimate["total_bytes"] / actual - 1
        total = estimate["total_bytes"]
        print(f"whole image: estimate {total:,} B, actual {actual:,} B ({error:+.3%})")
        assert set(estimate) >= {"base_bytes", "os_bytes", "python_bytes", "total_bytes", "sources"}
        assert estimate["base_bytes"] == built["base_size_bytes"]
        assert estimate["os_bytes"] > 0 and set(estimate["sources"]) == {"base", "os", "python"}
        assert abs(error) < 0.03
        versus = built["image_estimate"]  # the build itself puts the two side by side
        assert versus["actual"]["total_bytes"] == actual
        assert abs(versus["difference_ratio"]) < 0.03
    finally:
        docker_client.images.remove("workbench-test/h13-blog:whole")
