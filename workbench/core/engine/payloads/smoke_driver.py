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
- ``probe``: distributions hidden one at a time while the help and call checks rerun
- ``footprint``: measure the Python install (site-packages, .pyc, outside site-packages)
- ``jobs``: parallel az processes; ``timeout``: seconds per az process
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

BROKEN = (
    "Traceback (most recent call last)",
    "ModuleNotFoundError",
    "ImportError",
    "No module named",
    "'NoneType' object has no attribute",
    "'NoneType' object is not",
    "Error loading command module",
    "The command failed with an unexpected error",
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


def run_az(az: str, args: list[str], timeout: float, config_dir: str | None = None) -> dict:
    """Run az once in a fresh (or given) config dir; exit code, output and seconds."""
    own = config_dir is None
    config_dir = config_dir or tempfile.mkdtemp(prefix="azcfg-")
    env = dict(os.environ, AZURE_CONFIG_DIR=config_dir, **AZ_ENV)
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
    for line in text.splitlines():
        if any(n in line for n in needles):
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


def judge_call(result: dict) -> tuple[bool, str]:
    """A replayed call passes when it stops at a handled boundary (login, argument
    validation, the offline network, or another handled az error), never on an import
    failure or a crash."""
    text = result["out"] + "\n" + result["err"]
    broken = _first_line(text, BROKEN)
    if broken:
        return False, broken
    if result["code"] < 0:
        return False, result["err"]
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


def check_commands(spec: dict, az: str, stop_early: bool = False) -> list[dict]:
    """Help checks for every path and the auth-boundary replay of every call."""
    timeout = float(spec.get("timeout", 120))
    jobs = [("help", " ".join(p), [*p, "--help"], judge_help) for p in spec.get("paths", [])]
    jobs += [
        ("call", " ".join(c["args"]), list(c["args"]), judge_call) for c in spec.get("calls", [])
    ]
    results: list[dict] = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=int(spec.get("jobs", 2))) as pool:
        futures = {pool.submit(run_az, az, args, timeout): (k, t, j) for k, t, args, j in jobs}
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
    order = {(k, t): i for i, (k, t, _, _) in enumerate(jobs)}
    return sorted(results, key=lambda r: order[(r["kind"], r["target"])])


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
    for name in spec.get("probe", []):
        files = _dist_files(python, name)
        size = sum(os.lstat(p).st_size for p in files)
        if not files:
            report.append(
                {"package": name, "needed": None, "detail": "not installed", "files": 0, "bytes": 0}
            )
            continue
        print(f"probe: hiding {name} ({len(files)} files)", file=sys.stderr, flush=True)
        moved = hide(files, os.path.join(HIDE_ROOT, name))
        called = {tuple(c["path"]) for c in spec.get("calls", [])}
        quick = {**spec, "paths": [p for p in spec.get("paths", []) if tuple(p) not in called]}
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


def main(argv: list[str]) -> int:
    spec = json.loads(argv[1]) if len(argv) > 1 else {}
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
    if spec.get("precompile", True) and (spec.get("paths") or spec.get("calls")):
        out["precompiled"] = precompile(python, int(spec.get("jobs", 2)))
    out["checks"] = check_commands(spec, az) + check_imports(python, spec.get("imports", []))
    if spec.get("probe"):
        out["probe"] = probe(spec, az, python)
    out["seconds"] = round(time.monotonic() - started, 3)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
