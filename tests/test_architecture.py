"""The import rules hold: the core is headless, in-image code needs only the standard library,
and the contracts in pyproject.toml (faces -> project -> rooms -> platform, no cycles) pass."""

import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import workbench.core

ROOT = Path(__file__).resolve().parents[1]
IN_IMAGE = ["workbench/core/engine/payloads", "workbench/core/trims/rules.py"]


def test_core_never_imports_textual_or_rich():
    modules = [m.name for m in pkgutil.walk_packages(workbench.core.__path__, "workbench.core.")]
    assert len(modules) > 40, "the core's modules were not found"
    code = (
        "import importlib, sys\n"
        # httpx loads its optional CLI (click + rich) when click is installed (the test
        # extras bring it): that is httpx's import, not ours
        "sys.modules['click'] = None\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('textual', 'rich'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_in_image_code_runs_on_a_bare_python():
    """Payloads and trim rules import with no site-packages and no workbench on the path,
    as inside an image that has only its own Python."""
    files = [p for spec in IN_IMAGE for p in sorted((ROOT / spec).glob("*.py")) or [ROOT / spec]]
    files = [p for p in files if p.name != "__init__.py"]
    assert files
    for path in files:
        code = f"import runpy; runpy.run_path({str(path)!r}, run_name='not_main')"
        done = subprocess.run(
            [sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, cwd="/"
        )
        assert done.returncode == 0, f"{path.name}: {done.stderr[-500:]}"


def test_import_contracts_hold():
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint, "import-linter is not installed (make setup)"
    done = subprocess.run([lint], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout[-2000:]
