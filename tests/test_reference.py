"""The reference image: tagged by base + version, the CA only in the builder stage, reused
when already built from the same base (docker-marked: a real full install)."""

from __future__ import annotations

import pytest

from workbench.core.engine.reference import reference_dockerfile, reference_tag


def test_tag_names_base_and_version():
    tag = reference_tag("workbench-test/debian-python:bookworm", "2.91.0")
    assert tag == "workbench-ref/azure-cli-full:2.91.0-workbench-test-debian-python-bookworm"
    assert reference_tag("python:3.12-alpine", "2.91.0") != reference_tag("python:3.12", "2.91.0")


def test_ca_stays_in_the_builder_stage():
    text = reference_dockerfile("base:1", "2.91.0", index_url=None, ca=True)
    final = text.split("FROM base:1\n", 1)[1]
    assert "pip-ca.pem" in text.split("FROM base:1\n", 1)[0]
    assert "pip-ca.pem" not in final and "COPY --from=builder /opt/az /opt/az" in final
    assert "azure-cli==2.91.0" in text and "--index-url" not in text


@pytest.mark.docker
@pytest.mark.network
def test_reference_runs_az_and_is_reused(docker_client, base_image, reference_image):
    from workbench.core.engine.reference import reference_image as again

    out = docker_client.containers.run(
        reference_image, ["az", "version", "-o", "json"], network_disabled=True, remove=True
    )
    assert b'"azure-cli": "2.91.0"' in out
    assert again(docker_client, base_image, "2.91.0") == reference_image  # no rebuild
