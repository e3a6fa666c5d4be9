"""In-container smoke driver: runs inside the built image, never on the host.

Self-contained (standard library only, Python >= 3.10) because it runs with the image's
interpreter. Usage inside the container: ``python smoke_driver.py SPEC_JSON``; prints one JSON
document on stdout. The spec keys (all optional):

- ``az``: the az executable (default ``az`` on PATH)
- ``paths``: command paths (lists of words) checked with ``az <path> --help``
- ``calls``: ``{"path": [...], "args": [...], "where": "file:line"}`` replayed literally in a
  fresh ``AZURE_CONFIG_DIR`` (the auth-boundary run)
- ``imports``: top-level modules imported with az's interpreter
- ``version_runs``: how many ``az --version`` runs to time (median reported)
- ``probe``: distributions hidden one at a time while the help, call and run checks rerun
- ``fake``: ``{"ca", "cert", "key", "fixtures"}`` start the fake Azure (``fakeazure.py``
  beside this file) for the run tier and the scripts
- ``run``: calls (as ``calls``) run for real against the fake after a fake ``az login`` by
  ``login`` (``secret`` | ``federated`` | ``identity``)
- ``scripts``: ``{"name", "path", "cwd"}`` each run under an ``az`` shim that traces every
  invocation (``script_timeout`` seconds each)
- ``certifi``: check certifi's ``cacert.pem`` (the fake's CA hides its absence)
- ``footprint``: measure the Python install (site-packages, .pyc, outside site-packages)
- ``jobs``: parallel az processes; ``timeout``: seconds per az process
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

BROKEN = (  # most telling first: the detail names the first one found
    "No module named",
    "ModuleNotFoundError",
    "ImportError",
    "'NoneType' object has no attribute",
    "'NoneType' object is not",
    "Error loading command module",
    "The command failed with an unexpected error",
    "Traceback (most recent call last)",
)
OFFLINE = (
    "Failed to resolve",
    "Temporary failure in name resolution",
    "Name or service not known",
    "Max retries exceeded",
    "Network is unreachable",
)
AZ_ENV = {
    "AZURE_CORE_COLLECT_TELEMETRY": "no",
    "AZURE_CORE_NO_COLOR": "true",
    "AZURE_CORE_SURVEY_MESSAGE": "no",
    "AZURE_CORE_DISABLE_CONFIRM_PROMPT": "true",
    "AZURE_EXTENSION_USE_DYNAMIC_INSTALL": "no",
    "PYTHONDONTWRITEBYTECODE": "1",
}
HIDE_ROOT = "/tmp/workbench-probe-hidden"
HERE = os.path.dirname(os.path.abspath(__file__))
SECRET = "workbench-fake-secret"
RESOURCE_HINTS = (
    ("disk", "Microsoft.Compute/disks"),
    ("vm", "Microsoft.Compute/virtualMachines"),
    ("storage", "Microsoft.Storage/storageAccounts"),
    ("vault", "Microsoft.KeyVault/vaults"),
)


def az_interpreter(az: str) -> str:
    """The Python that runs ``az``: its shebang if Python, else the ``python`` beside it."""
    try:
        with open(az, "rb") as handle:
            first = handle.readline().decode(errors="replace").strip()
    except OSError:
        first = ""
    if first.startswith("#!") and "python" in first:
        words = first[2:].split()
        return words[-1] if words[0].endswith("env") else words[0]
    beside = os.path.join(os.path.dirname(az), "python")
    return beside if os.path.exists(beside) else (shutil.which("python3") or sys.executable)


def run_az(
    az: str,
    args: list[str],
    timeout: float,
    config_dir: str | None = None,
    fake: dict | None = None,
) -> dict:
    """Run az once in a fresh (or given) config dir; exit code, output and seconds. With
    ``fake`` (``{"ca", "template"}``) it runs against the fake Azure in a copy of the
    logged-in ``template`` config dir."""
    own = config_dir is None
    config_dir = config_dir or tempfile.mkdtemp(prefix="azcfg-")
    env = dict(os.environ, AZURE_CONFIG_DIR=config_dir, **AZ_ENV)
    if fake:
        if fake.get("template"):
            shutil.copytree(fake["template"], config_dir, dirs_exist_ok=True)
        env.update(fake_module().az_env(fake["ca"], config_dir))
    started = time.monotonic()
    try:
        proc = subprocess.run(
            [az, *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=env,
            timeout=timeout,
            check=False,
        )
        code, out, err = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired:
        code, out, err = -1, "", f"timed out after {timeout:.0f} s"
    finally:
        if own:
            shutil.rmtree(config_dir, ignore_errors=True)
    return {"code": code, "out": out, "err": err, "seconds": time.monotonic() - started}


def _first_line(text: str, needles) -> str:
    """The first line holding the earliest of ``needles`` that occurs at all."""
    lines = text.splitlines()
    for needle in needles:
        for line in lines:
            if needle in line:
                return line.strip()[:300]
    return ""


def _last_error(text: str) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("ERROR")]
    return ((errors or lines or [""])[-1])[:300]


def judge_help(result: dict) -> tuple[bool, str]:
    """``az PATH --help`` passes on exit 0 with no traceback or module-load error."""
    text = result["out"] + "\n" + result["err"]
    broken = _first_line(text, BROKEN)
    if broken:
        return False, broken
    if result["code"] != 0:
        return False, f"exit {result['code']}: {_last_error(result['err'])}"
    return True, "help loads"


def _crashed(result: dict) -> str:
    """Why a call counts as broken whatever it reached (an import failure, a crash, a
    timeout), or ""."""
    broken = _first_line(result["out"] + "\n" + result["err"], BROKEN)
    return broken or (result["err"] if result["code"] < 0 else "")


def judge_call(result: dict) -> tuple[bool, str]:
    """A replayed call passes when it stops at a handled boundary (login, argument
    validation, the offline network, or another handled az error), never on an import
    failure or a crash."""
    text = result["out"] + "\n" + result["err"]
    crashed = _crashed(result)
    if crashed:
        return False, crashed
    if "Please run 'az login'" in text:
        return True, "auth boundary: Please run 'az login'"
    if result["code"] == 0:
        return True, "exit 0"
    if _first_line(text, OFFLINE):
        return True, "reached the network (the container is offline)"
    if result["code"] == 2:
        return True, f"argument validation: {_last_error(result['err'])}"
    if result["code"] in (1, 3) and _last_error(result["err"]).startswith("ERROR"):
        return True, f"handled az error: {_last_error(result['err'])}"
    return False, f"exit {result['code']}: {_last_error(result['err'])}"


def judge_run(result: dict) -> tuple[bool, str]:
    """A call run against the fake passes on exit 0 or an error the (fake) service returned;
    it fails on an import error, a module-load error, a crash or a timeout."""
    crashed = _crashed(result)
    if crashed:
        return False, crashed
    if result["code"] == 0:
        return True, "exit 0"
    if "FakeAzure" in result["out"] + result["err"]:
        return True, f"service error: {_last_error(result['err'])}"
    return False, f"exit {result['code']}: {_last_error(result['err'])}"


def fake_module():
    """``fakeazure.py`` from beside this file (both are copied into the container)."""
    if HERE not in sys.path:
        sys.path.insert(0, HERE)
    import fakeazure

    return fakeazure


def dummy(name: str) -> str:
    """A plausible value for a variable the analysis left as ``<name>`` (or a script reads
    from its environment): the fake's ids where they must match, a resource id, a file."""
    fake = fake_module()
    low = name.lower()
    if "subscription" in low:
        return fake.SUBSCRIPTION
    if "tenant" in low:
        return fake.TENANT
    if low.endswith("file") or low.endswith("path"):
        path = os.path.join(tempfile.gettempdir(), "workbench-dummy", re.sub(r"\W", "", low))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as handle:
            handle.write(fake.token())
        return path
    if low.endswith("id") and name.isupper():
        return fake.CLIENT
    if low.endswith("id"):  # a resource id, of the type the name hints at
        kind = next(
            (t for hint, t in RESOURCE_HINTS if hint in low), "Microsoft.Network/virtualNetworks"
        )
        return (
            f"/subscriptions/{fake.SUBSCRIPTION}/resourceGroups/{fake.GROUP}"
            f"/providers/{kind}/wb-{re.sub(r'[^a-z0-9]', '', low)[:20]}"
        )
    if "group" in low or low == "rg":
        return fake.GROUP
    if low.endswith("key") and "name" not in low:  # $key, $accountKey: a storage account key
        return fake.ACCOUNT_KEY
    if low.endswith("sku"):  # a tier every SKU-taking command accepts (acr, redis, ip, lb)
        return "Standard"
    if len(low) == 1:  # a loop counter ($i, $n)
        return "1"
    numbers = {"port": "443", "priority": "100"}
    for word in (*numbers, "count", "size", "number", "timeout", "days", "capacity", "index"):
        if low.endswith(word):
            return numbers.get(word, "1")
    if "location" in low or "region" in low:
        return fake.LOCATION
    if low.endswith("url") or low.endswith("uri"):
        return f"https://management.azure.com/subscriptions/{fake.SUBSCRIPTION}"
    return "wb" + (re.sub(r"[^a-z0-9]", "", low)[:18] or "value")


def fill(args: list[str]) -> list[str]:
    """The literal call with each ``<placeholder>`` replaced by a dummy value."""
    return [re.sub(r"<([A-Za-z_][A-Za-z0-9_]*)>", lambda m: dummy(m.group(1)), a) for a in args]


def login_args(route: str) -> list[str]:
    """``az login`` by the route the scripts use, against the fake."""
    fake = fake_module()
    if route == "identity":
        return ["login", "--identity", "--output", "none"]
    sp = ["login", "--service-principal", "--username", fake.CLIENT, "--tenant", fake.TENANT]
    if route == "federated":
        return [*sp, "--federated-token", fake.token(), "--output", "none"]
    return [*sp, "--password", SECRET, "--output", "none"]


def logged_in(spec: dict, az: str, version: str) -> tuple[dict | None, str]:
    """A config dir logged in to the fake (the template each run check copies), or None and
    why the login failed."""
    fake = fake_module()
    template = fake.prepare_config_dir(tempfile.mkdtemp(prefix="azlogin-"), version)
    route = spec.get("login", "secret")
    result = run_az(
        az,
        login_args(route),
        float(spec.get("timeout", 120)),
        config_dir=template,
        fake={"ca": spec["fake"]["ca"]},
    )
    ok, detail = judge_run(result)
    session = {"ca": spec["fake"]["ca"], "template": template}
    if ok and result["code"] == 0:
        return session, f"logged in ({route})"
    if spec.get("login_in_scripts", True):
        return None, f"fake az login ({route}) failed: {detail}"
    # the scripts never log in (the pipeline does): seed what a login leaves, and say so
    fake.seed_login(template, SECRET)
    print(f"login: az login fails in this image ({detail}); seeded", file=sys.stderr, flush=True)
    return session, f"az login fails in this image ({detail}); the login was seeded"


def check_commands(spec: dict, az: str, stop_early: bool = False) -> list[dict]:
    """Help checks for every path, the auth-boundary replay of every call, and each run
    call for real against the fake (after one fake login)."""
    timeout = float(spec.get("timeout", 120))
    jobs = [("help", " ".join(p), [*p, "--help"], judge_help) for p in spec.get("paths", [])]
    jobs += [
        ("call", " ".join(c["args"]), list(c["args"]), judge_call) for c in spec.get("calls", [])
    ]
    session, why = (None, "")
    if spec.get("run"):
        session, why = logged_in(spec, az, spec.get("version", ""))
        spec["login_detail"] = why
    runs = [
        ("run", " ".join(c["args"]), fill(list(c["args"])), judge_run) for c in spec.get("run", [])
    ]
    results: list[dict] = []
    if session is None:
        results += [
            {"kind": k, "target": t, "ok": False, "detail": why, "seconds": 0.0}
            for k, t, _, _ in runs
        ]
    else:
        jobs += runs
    with concurrent.futures.ThreadPoolExecutor(max_workers=int(spec.get("jobs", 2))) as pool:
        futures = {
            pool.submit(run_az, az, args, timeout, None, session if k == "run" else None): (
                k,
                t,
                j,
            )
            for k, t, args, j in jobs
        }
        for future in concurrent.futures.as_completed(futures):
            kind, target, judge = futures[future]
            outcome = future.result()
            ok, detail = judge(outcome)
            print(
                f"{'ok' if ok else 'FAIL'} {kind} {target}: {detail}", file=sys.stderr, flush=True
            )
            results.append(
                {
                    "kind": kind,
                    "target": target,
                    "ok": ok,
                    "detail": detail,
                    "seconds": round(outcome["seconds"], 3),
                }
            )
            if stop_early and not ok:
                for other in futures:
                    other.cancel()
                break
    if session:
        shutil.rmtree(session["template"], ignore_errors=True)
    order = {(k, t): i for i, (k, t, _, _) in enumerate(jobs + runs)}
    return sorted(results, key=lambda r: order[(r["kind"], r["target"])])


def check_certifi(python: str) -> dict:
    """certifi's ``cacert.pem`` is there and not empty (the run's CA replaces it, so a trim
    that removed it would go unnoticed by every other check)."""
    code = "import certifi, os; p = certifi.where(); print(p, os.path.getsize(p))"
    proc = subprocess.run([python, "-c", code], capture_output=True, text=True, check=False)
    words = proc.stdout.split()
    ok = proc.returncode == 0 and len(words) == 2 and int(words[1]) > 1000
    detail = f"{words[0]} ({words[1]} bytes)" if ok else (_last_error(proc.stderr) or "empty")
    return {
        "kind": "certifi",
        "target": "certifi cacert.pem",
        "ok": ok,
        "detail": detail,
        "seconds": 0.0,
    }


SHIM = """import json, os, subprocess, sys, time
started = time.monotonic()
proc = subprocess.Popen([os.environ["WORKBENCH_REAL_AZ"], *sys.argv[1:]], stderr=subprocess.PIPE)
err = proc.stderr.read()
code = proc.wait()
sys.stderr.buffer.write(err)
sys.stderr.flush()
lines = [ln.strip() for ln in err.decode(errors="replace").splitlines() if ln.strip()]
bad = [ln for ln in lines if any(n in ln for n in json.loads(os.environ["WORKBENCH_BROKEN"]))]
bad += [ln for ln in lines if ln.startswith("ERROR") and ln not in bad]
record = {"argv": sys.argv[1:], "line": os.environ.get("WORKBENCH_LINE"), "code": code,
          "failure": bad[:5], "seconds": round(time.monotonic() - started, 3)}
with open(os.environ["WORKBENCH_TRACE"], "a") as handle:
    handle.write(json.dumps(record) + "\\n")
sys.exit(code)
"""
# Standard-error lines that may say a program is missing (the engine's ``notfound`` reads them).
NOT_FOUND = ("not found", "No such file or directory")
LINE_TRAP = "set -T\ntrap 'WORKBENCH_LINE=$LINENO; export WORKBENCH_LINE' DEBUG\n"


def run_scripts(spec: dict, az: str, python: str, version: str) -> list[dict]:
    """Run each script in this container against the fake, with dummy values for the
    environment it reads, ``az`` replaced on PATH by a shim that traces every invocation."""
    session, why = logged_in(spec, az, version)
    work = tempfile.mkdtemp(prefix="workbench-trace-")
    shim_dir = os.path.join(work, "bin")
    os.makedirs(shim_dir)
    with open(os.path.join(shim_dir, "az"), "w") as handle:
        handle.write(f"#!{python}\n{SHIM}")
    os.chmod(os.path.join(shim_dir, "az"), 0o755)
    with open(os.path.join(work, "line-trap.sh"), "w") as handle:
        handle.write(LINE_TRAP)
    out = []
    for n, script in enumerate(spec.get("scripts", [])):
        trace = os.path.join(work, f"trace-{n}.jsonl")
        config = tempfile.mkdtemp(prefix="azcfg-")
        if session:
            shutil.copytree(session["template"], config, dirs_exist_ok=True)
        env = dict(os.environ, **AZ_ENV)
        env.update(fake_module().az_env(spec["fake"]["ca"], config))
        text = _read(script["path"])
        for name in dict.fromkeys(re.findall(r"\$\{?([A-Z][A-Z0-9_]*)", text)):
            env.setdefault(name, dummy(name))
        env.update(
            PATH=f"{shim_dir}:{env.get('PATH', '')}",
            WORKBENCH_REAL_AZ=az,
            WORKBENCH_TRACE=trace,
            WORKBENCH_BROKEN=json.dumps(BROKEN),
            BASH_ENV=os.path.join(work, "line-trap.sh"),
        )
        shell = _shell(text)
        started = time.monotonic()
        timeout = float(spec.get("script_timeout", 300))
        try:
            proc = subprocess.run(
                [shell, script["path"]],
                cwd=script.get("cwd") or os.path.dirname(script["path"]),
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
            code, tail = proc.returncode, (proc.stdout + proc.stderr).splitlines()[-15:]
            hints = [ln for ln in proc.stderr.splitlines() if any(h in ln for h in NOT_FOUND)]
        except subprocess.TimeoutExpired:
            code, tail, hints = -1, [f"timed out after {timeout:.0f} s"], []
        except OSError as exc:
            code, tail, hints = -1, [f"cannot run {shell}: {exc}"], []
        calls = []
        with contextlib.suppress(OSError):
            calls = [json.loads(line) for line in _read(trace).splitlines() if line.strip()]
        print(
            f"script {script['name']}: exit {code}, {len(calls)} az calls",
            file=sys.stderr,
            flush=True,
        )
        out.append(
            {
                "script": script["name"],
                "exit_code": code,
                "calls": calls,
                "tail": tail,
                "not_found": hints[:50],
                "login": why,
                "seconds": round(time.monotonic() - started, 3),
            }
        )
        shutil.rmtree(config, ignore_errors=True)
    if session:
        shutil.rmtree(session["template"], ignore_errors=True)
    return out


def _read(path: str) -> str:
    with open(path, encoding="utf-8", errors="replace") as handle:
        return handle.read()


def _shell(text: str) -> str:
    first = text.splitlines()[0] if text else ""
    if first.startswith("#!") and "bash" not in first and shutil.which("sh"):
        return "sh"
    return shutil.which("bash") or "sh"


def check_imports(python: str, modules: list[str]) -> list[dict]:
    """Import each module in one interpreter process; one result per module."""
    code = (
        "import importlib, json, sys, time\n"
        "out = []\n"
        "for name in sys.argv[1:]:\n"
        "    t = time.monotonic()\n"
        "    try:\n"
        "        importlib.import_module(name); ok, detail = True, 'imports'\n"
        "    except BaseException as exc:\n"
        "        ok, detail = False, f'{type(exc).__name__}: {exc}'[:300]\n"
        "    out.append({'kind': 'import', 'target': name, 'ok': ok, 'detail': detail,\n"
        "                'seconds': round(time.monotonic() - t, 3)})\n"
        "print(json.dumps(out))\n"
    )
    if not modules:
        return []
    proc = subprocess.run(
        [python, "-c", code, *modules], capture_output=True, text=True, check=False
    )
    try:
        return json.loads(proc.stdout)
    except ValueError:
        detail = _last_error(proc.stderr) or f"exit {proc.returncode}"
        return [
            {"kind": "import", "target": m, "ok": False, "detail": detail, "seconds": 0}
            for m in modules
        ]


def time_startup(az: str, runs: int) -> dict:
    """``az --version`` wall time, median of ``runs`` (one config dir, offline)."""
    config_dir = tempfile.mkdtemp(prefix="azcfg-")
    seconds = [run_az(az, ["--version"], 120, config_dir)["seconds"] for _ in range(runs)]
    shutil.rmtree(config_dir, ignore_errors=True)
    return {"runs": [round(s, 3) for s in seconds], "median": round(statistics.median(seconds), 3)}


def precompile(python: str, jobs: int) -> float:
    """Compile site-packages once in this throw-away container, so the many az runs of the
    checks do not each recompile a no-.pyc image (the verdicts do not depend on it; the
    startup time is measured before). Returns the seconds it took."""
    started = time.monotonic()
    code = "import json, site; print(json.dumps(site.getsitepackages()))"
    proc = subprocess.run([python, "-c", code], capture_output=True, text=True, check=False)
    sites = [p for p in json.loads(proc.stdout or "[]") if os.path.isdir(p)]
    subprocess.run(
        [python, "-m", "compileall", "-q", "-j", str(jobs), *sites],
        capture_output=True,
        check=False,
    )
    return round(time.monotonic() - started, 3)


def _dist_files(python: str, name: str) -> list[str]:
    code = (
        "import importlib.metadata as m, json, sys, site\n"
        "d = m.distribution(sys.argv[1])\n"
        "roots = [p for p in site.getsitepackages() if p]\n"
        "paths = [str(d.locate_file(f)) for f in (d.files or [])]\n"
        "print(json.dumps([p for p in paths if any(p.startswith(r) for r in roots)]))\n"
    )
    proc = subprocess.run([python, "-c", code, name], capture_output=True, text=True, check=False)
    try:
        return [p for p in json.loads(proc.stdout) if os.path.lexists(p)]
    except ValueError:
        return []


def _listed_files(python: str, relative: list[str]) -> list[str]:
    """The files of ``relative`` (paths under site-packages, as the wheel lists them) that
    the image has: how a distribution is found when its RECORD was trimmed away."""
    if not relative:
        return []
    code = "import sysconfig; print(sysconfig.get_path('purelib'))"
    proc = subprocess.run([python, "-c", code], capture_output=True, text=True, check=False)
    root = proc.stdout.strip()
    paths = (os.path.join(root, p) for p in relative)
    return [p for p in paths if root and os.path.lexists(p)]


def hide(files: list[str], where: str) -> list[tuple[str, str]]:
    """Move files aside (keeping their paths under ``where``); returns (original, hidden)."""
    moved = []
    for path in files:
        target = where + path
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.rename(path, target)
        moved.append((path, target))
    for parent in sorted({os.path.dirname(p) for p in files}, key=len, reverse=True):
        with contextlib.suppress(OSError):  # still holds other packages' files
            os.removedirs(parent)
    return moved


def restore(moved: list[tuple[str, str]]) -> None:
    """Move hidden files back."""
    for original, hidden in moved:
        os.makedirs(os.path.dirname(original), exist_ok=True)
        os.rename(hidden, original)


def probe(spec: dict, az: str, python: str) -> list[dict]:
    """Hide one distribution at a time, rerun the command checks, restore."""
    report = []
    listed = spec.get("probe_files", {})
    for name in spec.get("probe", []):
        files = _dist_files(python, name) or _listed_files(python, listed.get(name, []))
        size = sum(os.lstat(p).st_size for p in files)
        if not files:
            report.append(
                {"package": name, "needed": None, "detail": "not installed", "files": 0, "bytes": 0}
            )
            continue
        print(f"probe: hiding {name} ({len(files)} files)", file=sys.stderr, flush=True)
        moved = hide(files, os.path.join(HIDE_ROOT, name))
        called = {tuple(c["path"]) for c in [*spec.get("calls", []), *spec.get("run", [])]}
        quick = {**spec, "paths": [p for p in spec.get("paths", []) if tuple(p) not in called]}
        if spec.get("run"):  # judged by running code: the auth-boundary replay adds nothing
            quick["calls"] = []
        try:
            failures = [r for r in check_commands(quick, az, stop_early=True) if not r["ok"]]
        finally:
            restore(moved)
        detail = f"{failures[0]['target']}: {failures[0]['detail']}" if failures else ""
        report.append(
            {
                "package": name,
                "needed": bool(failures),
                "detail": detail,
                "files": len(files),
                "bytes": size,
            }
        )
    return report


def footprint(python: str) -> dict:
    """Bytes of the Python install az runs from: site-packages (with .pyc and dist-info
    shares, per top-level entry) and, for a venv, the rest of the prefix."""
    code = "import json, site, sys; print(json.dumps([sys.prefix, site.getsitepackages()]))"
    proc = subprocess.run([python, "-c", code], capture_output=True, text=True, check=False)
    prefix, sites = json.loads(proc.stdout)
    seen: set = set()
    totals = {"site_packages_bytes": 0, "pyc_bytes": 0, "dist_info_bytes": 0}
    entries: dict[str, int] = {}
    for root in sites:
        for dirpath, dirnames, filenames in os.walk(root):
            for name in filenames + [
                d for d in dirnames if os.path.islink(os.path.join(dirpath, d))
            ]:
                path = os.path.join(dirpath, name)
                size = _size_once(path, seen)
                rel = os.path.relpath(path, root)
                top = rel.split(os.sep)[0]
                if top.startswith("azure") and rel.count(os.sep) >= 2:
                    top = os.sep.join(rel.split(os.sep)[: 3 if "command_modules" in rel else 2])
                entries[top] = entries.get(top, 0) + size
                totals["site_packages_bytes"] += size
                totals["pyc_bytes"] += size if name.endswith(".pyc") else 0
                totals["dist_info_bytes"] += size if ".dist-info" in rel.split(os.sep)[0] else 0
    outside = 0
    if prefix not in ("/usr", "/usr/local") and os.path.isdir(prefix):
        for dirpath, _dirs, filenames in os.walk(prefix):
            if any(dirpath == s or dirpath.startswith(s + os.sep) for s in sites):
                continue
            outside += sum(_size_once(os.path.join(dirpath, f), seen) for f in filenames)
    largest = sorted(entries.items(), key=lambda kv: -kv[1])[:25]
    return {
        "prefix": prefix,
        "site_packages": sites,
        **totals,
        "outside_site_packages_bytes": outside,
        "largest": largest,
    }


def _size_once(path: str, seen: set) -> int:
    st = os.lstat(path)
    key = (st.st_dev, st.st_ino)
    if key in seen:
        return 0
    seen.add(key)
    return st.st_size


def az_version(python: str) -> str:
    """azure-cli-core's version (the seeded version check needs it)."""
    code = "from azure.cli.core import __version__; print(__version__)"
    proc = subprocess.run([python, "-c", code], capture_output=True, text=True, check=False)
    return proc.stdout.strip() or "0.0.0"


def main(argv: list[str]) -> int:
    arg = argv[1] if len(argv) > 1 else "{}"
    spec = json.loads(_read(arg) if os.path.isfile(arg) else arg)
    az = shutil.which(spec.get("az", "az"))
    out: dict = {"az": az}
    if az is None:
        out["error"] = f"{spec.get('az', 'az')} is not on the image's PATH"
        print(json.dumps(out))
        return 0
    python = az_interpreter(az)
    out["python"] = python
    started = time.monotonic()
    if spec.get("footprint"):  # before precompile adds .pyc files
        out["footprint"] = footprint(python)
    if spec.get("version_runs"):  # before anything else: the image's real startup cost
        out["startup"] = time_startup(az, int(spec["version_runs"]))
    if spec.get("precompile", True) and any(spec.get(k) for k in ("paths", "calls", "run")):
        out["precompiled"] = precompile(python, int(spec.get("jobs", 2)))
    fake = None
    if spec.get("fake"):
        fake = (
            fake_module()
            .FakeAzure(spec["fake"]["cert"], spec["fake"]["key"], spec["fake"].get("fixtures"))
            .start()
        )
        spec.setdefault("version", az_version(python))
    out["checks"] = check_commands(spec, az) + check_imports(python, spec.get("imports", []))
    if spec.get("certifi"):
        out["checks"].append(check_certifi(python))
    if spec.get("scripts"):
        out["scripts"] = run_scripts(spec, az, python, spec["version"])
    if spec.get("probe"):
        out["probe"] = probe(spec, az, python)
    if fake:
        out["fake"] = {**fake.summary(), "login": spec.get("login_detail", "")}
    out["seconds"] = round(time.monotonic() - started, 3)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
