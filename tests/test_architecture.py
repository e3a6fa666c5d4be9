"""The core stays headless: importing every core module pulls in neither textual nor rich."""

import pkgutil
import subprocess
import sys

import workbench.core


def test_core_never_imports_textual_or_rich():
    modules = [m.name for m in pkgutil.iter_modules(workbench.core.__path__, "workbench.core.")]
    assert modules, "no core modules found"
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('textual', 'rich'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
