"""Dockerfile rendering: golden files per family x mode x trims, lint, and a real build."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from workbench.core.errors import WorkbenchError
from workbench.core.recipe.dockerfile import BuildContext, Resolution, build_context
from workbench.core.recipe.recipe import AzCopy, Keep, Package, PipSettings, Recipe
from workbench.core.trims.registry import TRIMS, TrimContext, all_trims

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
BASES = {"apk": "python:3.12-alpine", "apt": "python:3.11-slim-bookworm"}
# The blog post's set with plausible versions; only the rendering is under test here.
RESOLUTION = Resolution(
    {
        "azure-cli-core": "2.91.0",
        "azure-common": "1.1.28",
        "azure-mgmt-compute": "34.1.0",
        "azure-mgmt-monitor": "7.0.0",
        "azure-mgmt-resource": "24.0.0",
        "semver": "3.0.4",
    },
    core={"azure-cli-core", "semver"},
)
CONTEXT = TrimContext(
    modules=frozenset({"profile", "resource", "util", "vm", "monitor"}),
    api_versions={"azure.mgmt.compute": frozenset({"2024-11-01"})},
    aaz_groups={"vm": frozenset({"disk"})},
)
ALL = all_trims()


def make_recipe(tmp_path: Path, **changes) -> Recipe:
    (tmp_path / "tag-disks.sh").write_text("#!/bin/bash\naz disk list | jq .\n")
    (tmp_path / "corp-ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    recipe = Recipe(
        packages=[Package(n) for n in ("azure-cli-core", "azure-mgmt-compute", "semver")],
        scripts=["tag-disks.sh"],
        runtime_packages=["bash", "jq"],
        path=tmp_path / "workbench.toml",
    )
    for key, value in changes.items():
        setattr(recipe, key, value)
    if recipe.mode == "system":
        recipe.trims = [t for t in recipe.trims if not TRIMS[t].venv_only]
    recipe.validate()
    return recipe


def render(recipe: Recipe, resolution: Resolution = RESOLUTION) -> BuildContext:
    """The recipe rendered as a project does: the analysis's context with ``[keep]`` merged."""
    return build_context(recipe, resolution, CONTEXT.merged(recipe.keep.context()))


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / f"{name}.Dockerfile"
    if UPDATE or not path.exists():
        path.write_text(text)
    assert text == path.read_text(), f"{path} differs; UPDATE_GOLDEN=1 to accept"


# ---- lint --------------------------------------------------------------------------
def instructions(dockerfile: str) -> list[tuple[int, str, str]]:
    """(stage index, keyword, arguments) with continuations joined and comments dropped."""
    text = re.sub(r"\\\n", " ", dockerfile)
    out, stage = [], -1
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        keyword, _, rest = line.strip().partition(" ")
        stage += keyword == "FROM"
        out.append((stage, keyword, rest))
    return out


def lint(ctx: BuildContext) -> list[str]:
    """Problems in the rendered Dockerfile (hadolint plus the rules that matter to us)."""
    problems = []
    hadolint = shutil.which("hadolint") or str(Path(os.sys.executable).parent / "hadolint")
    if Path(hadolint).exists():
        # DL3008/DL3018: OS package versions follow the base image's release (its tag).
        run = subprocess.run(
            [hadolint, "--ignore", "DL3008", "--ignore", "DL3018", "-"],
            input=ctx.dockerfile,
            capture_output=True,
            text=True,
        )
        problems += run.stdout.splitlines()
    steps = instructions(ctx.dockerfile)
    last = max(s for s, _, _ in steps)
    builders = {s for s, k, a in steps if k == "FROM" and a.endswith(" AS builder")}
    installer = {s for s, k, a in steps if k == "FROM" and a.endswith(" AS uv")}  # uv only
    for stage in range(last + 1):
        runs = [a for s, k, a in steps if s == stage and k == "RUN"]
        if len(runs) > 1 and stage not in builders | installer:  # their waste is discarded
            problems.append(f"stage {stage}: {len(runs)} RUN instructions, want one")
        installs = " && ".join(r for r in runs if "pip install" in r and stage not in installer)
        if installs and "--require-hashes" not in installs:
            if "--no-deps azure-cli==" not in installs:
                problems.append("azure-cli not installed pinned with --no-deps")
            for spec in re.findall(r" ((?:azure|semver)[\w.-]*\S*)", installs):
                if not re.fullmatch(r"azure-cli==[\w.]+|[\w.-]+(==|~=)[\w.]+|[\w.-]+", spec):
                    problems.append(f"odd requirement {spec}")
        for run in runs:
            if re.search(r"(apt-get|apk) (dist-)?upgrade", run):
                problems.append("upgrade in RUN")
            for m in re.finditer(r"apt-get install[^&]*", run):
                if "-y --no-install-recommends" not in m.group(0):
                    problems.append("apt-get install without -y --no-install-recommends")
            if (
                "apt-get install" in run
                and stage == last
                and "rm -rf /var/lib/apt/lists/*" not in run
            ):
                problems.append("apt lists not removed in the final stage's RUN")
            if re.search(r"apk add(?![^&]*--no-cache)", run):
                problems.append("apk add without --no-cache")
    for stage, keyword, args in steps:
        if keyword == "ADD" and "://" in args:
            problems.append("ADD of a URL")
        if stage == last and "pip-ca" in args:
            problems.append("pip CA reaches the final stage")
        if keyword == "COPY" and "--from" not in args:
            for src in json.loads(args)[:-1]:
                if src not in ctx.files:
                    problems.append(f"COPY source {src} missing from the build context")
    return problems


# ---- golden matrix ---------------------------------------------------------------------
@pytest.mark.parametrize("trims", ["none", "all"])
@pytest.mark.parametrize("mode", ["system", "venv", "multistage"])
@pytest.mark.parametrize("family", ["apk", "apt"])
def test_golden_matrix(tmp_path, family, mode, trims):
    recipe = make_recipe(
        tmp_path, base=BASES[family], mode=mode, trims=ALL if trims == "all" else []
    )
    ctx = render(recipe)
    assert lint(ctx) == []
    check_golden(f"{family}-{mode}-{trims}", ctx.dockerfile)


VARIANTS = {
    # explicit family for our local Debian base; a CA forces a builder stage
    "apt-testbase-venv-ca": dict(
        base="workbench-test/debian-python:bookworm",
        family="apt",
        mode="venv",
        trims=ALL,
        pip=PipSettings(ca_bundle="corp-ca.pem"),
    ),
    "apt-testbase-system-ca": dict(
        base="workbench-test/debian-python:bookworm",
        family="apt",
        mode="system",
        trims=ALL,
        pip=PipSettings(index_url="https://index.example/simple", ca_bundle="corp-ca.pem"),
    ),
    "apk-venv-azcopy": dict(
        base="python:3.12-alpine",
        mode="venv",
        trims=["no-compile"],
        azcopy=AzCopy(
            "10.27.1", "https://dl.example/azcopy_linux_{arch}_{version}.tar.gz", "a" * 64
        ),
    ),
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_golden_variants(tmp_path, name):
    ctx = render(make_recipe(tmp_path, **VARIANTS[name]))
    assert lint(ctx) == []
    check_golden(name, ctx.dockerfile)


@pytest.mark.parametrize("family", ["apk", "apt"])
@pytest.mark.parametrize("mode", ["venv", "multistage"])
def test_build_deps_only_for_packages_without_wheels(tmp_path, family, mode):
    recipe = make_recipe(tmp_path, base=BASES[family], mode=mode, trims=ALL)
    assert "build-deps" not in render(recipe).dockerfile
    assert "build-essential" not in render(recipe).dockerfile
    needy = Resolution(RESOLUTION.versions, frozenset({"psutil"}))
    ctx = render(recipe, needy)
    assert lint(ctx) == []
    check_golden(f"{family}-{mode}-all-builddeps", ctx.dockerfile)
    if mode == "venv":  # single stage: removed in the same RUN
        assert (
            "apk del --purge .build-deps" if family == "apk" else "apt-get purge"
        ) in ctx.dockerfile


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_hashed_lock_is_split_by_layer_and_required(tmp_path, installer):
    core = (
        "azure-cli==2.91.0 --hash=sha256:" + "0" * 64 + "\nsemver==3.0.4 --hash=sha256:" + "1" * 64
    )
    sdk = "azure-mgmt-compute==34.1.0 --hash=sha256:" + "2" * 64 + "\n"
    resolution = Resolution(RESOLUTION.versions, lock=f"{core}\n{sdk}", core=RESOLUTION.core)
    recipe = make_recipe(tmp_path, mode="multistage", pip=PipSettings(installer=installer))
    ctx = render(recipe, resolution)
    for part in ("core", "sdk"):
        assert f"--no-deps --require-hashes -r /tmp/workbench/{part}.lock" in ctx.dockerfile
    assert ctx.files["workbench-build/core.lock"] == f"{core}\n".encode()
    assert ctx.files["workbench-build/sdk.lock"] == sdk.encode()
    assert ("/tmp/workbench/tools/bin/uv pip install" in ctx.dockerfile) == (installer == "uv")
    assert lint(ctx) == []
    single = render(make_recipe(tmp_path, mode="venv"), resolution)
    assert "--no-deps --require-hashes -r /tmp/workbench/requirements.lock" in single.dockerfile
    assert single.files["workbench-build/requirements.lock"] == resolution.lock.encode()


def test_pins_follow_pin_modes(tmp_path):
    recipe = make_recipe(tmp_path, mode="venv")
    recipe.packages = [Package("azure-mgmt-compute", "compatible"), Package("semver", "none")]
    text = render(recipe).dockerfile
    assert "azure-mgmt-compute~=34.1.0" in text and re.search(r"semver( |$)", text, re.M)
    assert "azure-cli-core==2.91.0" in text  # a resolved dependency: pinned exactly
    recipe.packages = [Package("not-resolved")]
    with pytest.raises(WorkbenchError, match="not-resolved has no resolved version"):
        render(recipe)


def test_recipe_hash_label_and_trim_script_in_context(tmp_path):
    recipe = make_recipe(tmp_path, trims=ALL)
    ctx = render(recipe)
    assert f'dev.workbench.recipe.sha256="{recipe.digest()}"' in ctx.dockerfile
    plan = json.loads(ctx.files["workbench-build/trim.json"])
    assert plan["context"]["modules"] == ["monitor", "profile", "resource", "util", "vm"]
    assert plan["trims"] == ALL
    compile(ctx.files["workbench-build/trim.py"].decode(), "trim.py", "exec")


def builder_runs(ctx: BuildContext) -> list[str]:
    """The builder stage's instructions in order, a COPY with the content it copies (what
    the engine's cache key depends on)."""
    out, steps = [], instructions(ctx.dockerfile)
    [builder] = [s for s, k, a in steps if k == "FROM" and a.endswith(" AS builder")]
    for stage, keyword, args in steps:
        if stage == builder and keyword != "FROM":
            staged = keyword == "COPY" and not args.startswith("--from=")
            sources = json.loads(args)[:-1] if staged else []  # the JSON form
            copied = [ctx.files[a] for a in sources]
            out.append(f"{keyword} {args} {copied!r}")
    return out


@pytest.mark.parametrize(
    "change",
    [
        dict(trims=["prune-modules", "drop-pip", "strip-binaries"]),  # a trim toggled
        dict(trims=ALL[1:]),  # no-compile off: the .pyc are compiled in the trim layer
        dict(keep=Keep(modules=["network"]), trims=ALL),
    ],
)
def test_a_trim_or_keep_change_touches_only_the_trim_layer(tmp_path, change):
    before = builder_runs(render(make_recipe(tmp_path, mode="multistage", trims=ALL)))
    after = builder_runs(render(make_recipe(tmp_path, mode="multistage", **change)))
    same = next(i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b)
    assert before[same].startswith('COPY ["workbench-build/trim.py", "workbench-build/trim.json"')
    assert same == len(before) - 2  # the COPY of trim.py/trim.json, then the trim RUN


def test_strip_binaries_puts_binutils_in_the_builder_tools_layer_only(tmp_path):
    """binutils is a builder tool (toggling strip-binaries rebuilds from the tools layer);
    a single stage adds it only when the base lacks strip and removes it in the same RUN."""
    on = render(make_recipe(tmp_path, mode="multistage", trims=ALL)).dockerfile
    runs = builder_runs(render(make_recipe(tmp_path, mode="multistage", trims=ALL)))
    assert "binutils" in runs[0]
    assert not any("binutils" in r for r in runs[1:] if r.startswith("RUN"))
    final = on.split("# ---- final stage")[1]
    assert "binutils" not in final.replace("# ", "")
    off = builder_runs(render(make_recipe(tmp_path, mode="multistage", trims=["no-compile"])))
    assert "binutils" not in off[0]
    single = render(make_recipe(tmp_path, mode="venv", trims=ALL)).dockerfile
    assert "{ command -v strip >/dev/null || { apk add --no-cache --virtual=.strip-deps" in single
    assert "{ [ ! -e /tmp/workbench/strip-added ] || apk del --purge .strip-deps; }" in single


def test_an_added_package_keeps_the_tools_and_core_layers(tmp_path):
    recipe = make_recipe(tmp_path, mode="multistage", trims=ALL)
    before = builder_runs(render(recipe))
    versions = {**RESOLUTION.versions, "azure-mgmt-network": "30.0.0"}
    after = builder_runs(render(recipe, Resolution(versions, core=RESOLUTION.core)))
    core = next(i for i, step in enumerate(after) if "--no-deps azure-cli==" in step)
    assert any(step.startswith("COPY --from=uv") for step in after[:core])  # venv and uv
    sdk = core + 1  # tools, the uv stage's venv and uv, core | the SDK set
    assert before[:sdk] == after[:sdk] and before[sdk] != after[sdk]
    assert "azure-mgmt-network==30.0.0" in after[sdk] and "azure-mgmt-network" not in after[core]


def test_single_stage_modes_keep_one_run_and_pip(tmp_path):
    for mode in ("system", "venv"):
        ctx = render(make_recipe(tmp_path, mode=mode, trims=["no-compile"]))
        runs = [a for _, k, a in instructions(ctx.dockerfile) if k == "RUN"]
        assert len(runs) == 1 and " -m pip install " in runs[0] and "uv" not in runs[0]


def test_unknown_family_and_missing_trim_context_are_clear(tmp_path):
    recipe = make_recipe(tmp_path)
    recipe.base, recipe.family = "fedora:40", None
    with pytest.raises(WorkbenchError, match="set family to one of apk, apt"):
        render(recipe)
    recipe = make_recipe(tmp_path, trims=["prune-modules"])
    with pytest.raises(WorkbenchError, match="prune-modules needs every command module"):
        build_context(recipe, RESOLUTION)


def test_context_writes_without_losing_user_files(tmp_path):
    ctx = render(make_recipe(tmp_path, trims=ALL))
    out = tmp_path / "out"
    (out).mkdir()
    (out / "Dockerfile").write_text("mine\n")
    path = ctx.write(out)
    assert path.read_text() == ctx.dockerfile
    assert (out / "Dockerfile.bak").read_text() == "mine\n"
    assert (out / "workbench-build/trim.py").is_file() and (out / "tag-disks.sh").is_file()
    ctx.write(tmp_path)  # into the recipe's own folder: the script is left as it is
    assert not (tmp_path / "tag-disks.sh.bak").exists()


# ---- CLI over the embedded size snapshot (offline) -----------------------------------------
def run_cli(argv, capsys):
    import argparse

    from workbench.cli import dockerfile as dockerfile_cli

    parser = argparse.ArgumentParser()
    dockerfile_cli.add_parser(parser.add_subparsers())
    args = parser.parse_args(["dockerfile", *argv])
    code = args.run(args)
    return code, capsys.readouterr().out


def test_cli_resolves_with_the_size_engine_and_writes_the_context(tmp_path, capsys):
    recipe = make_recipe(tmp_path, base="python:3.11-slim-bookworm", trims=["no-compile"])
    recipe.save()
    code, out = run_cli(["--recipe", str(recipe.path), "--offline"], capsys)
    assert code == 0 and "--no-deps azure-cli==2.91.0" in out
    assert re.search(r"azure-mgmt-compute==\d", out) and re.search(r"msal==\d", out)
    code, out = run_cli(
        ["--recipe", str(recipe.path), "--offline", "--lock", "-o", str(tmp_path / "b/Dockerfile")],
        capsys,
    )
    lock = (tmp_path / "b/workbench-build/core.lock").read_text()
    assert code == 0 and "azure-cli==2.91.0 --hash=sha256:" in lock
    assert re.search(r"^msal==\S+ --hash=sha256:", lock, re.M)  # a core dependency
    sdk = (tmp_path / "b/workbench-build/sdk.lock").read_text()
    assert re.search(r"^azure-mgmt-compute==\S+ --hash=sha256:", sdk, re.M)
    assert "--require-hashes" in (tmp_path / "b/Dockerfile").read_text()


# ---- a real build on the local Debian base --------------------------------------------------
@pytest.mark.docker
@pytest.mark.network
def test_multistage_build_with_ca_and_all_trims(tmp_path, docker_client, base_image):
    """azure-cli + core only, trimmed to the profile/util modules: `az rest --help` works, and
    neither pip nor the CA bundle is anywhere in the final image."""
    ca = os.environ.get("PIP_CERT", "/etc/ssl/certs/ca-certificates.crt")
    recipe = make_recipe(
        tmp_path,
        base=base_image,
        family="apt",
        mode="multistage",
        trims=ALL,
        runtime_packages=[],
        packages=[Package("azure-cli-core")],
        pip=PipSettings(ca_bundle=ca),
    )
    context = TrimContext(modules=frozenset({"profile", "util"}))
    ctx = build_context(recipe, Resolution({"azure-cli-core": "2.91.0"}), context)
    assert lint(ctx) == []
    ctx.write(tmp_path / "ctx")
    image, _ = docker_client.images.build(path=str(tmp_path / "ctx"), rm=True, forcerm=True)
    try:
        assert image.labels["dev.workbench.recipe.sha256"] == recipe.digest()
        check = (
            "set -e; az rest --help >/dev/null; ls /opt/az/lib/python3.11/site-packages/"
            "azure/cli/command_modules; test ! -e /opt/az/bin/pip; "
            "test -z \"$(find / -xdev -name 'pip-ca.pem')\"; "
            "test -z \"$(find /opt/az -name pip -o -name 'pip-*')\"; "
            "test -z \"$(find /opt/az -name '*.pyc')\"; echo ok"
        )
        out = docker_client.containers.run(image.id, ["bash", "-c", check], remove=True).decode()
        assert out.split() == ["__init__.py", "profile", "util", "ok"]
    finally:
        docker_client.images.remove(image.id, force=True)
