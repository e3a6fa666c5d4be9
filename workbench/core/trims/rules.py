"""Trim rules: pure functions from installed paths to the paths a trim deletes.

Paths are POSIX paths relative to site-packages. ``ctx`` is the JSON form of
``workbench.core.trims.TrimContext``. The size engine calls these rules on modelled paths
to estimate a saving; the generated in-build trim script embeds their source verbatim and calls
them on the real tree, so estimate and build cannot disagree. Hence: standard library only,
and every function here is self-contained (its imports inside it).
"""

from __future__ import annotations


def rule_no_compile(paths, ctx, read=None):
    """Every compiled bytecode file (pip --no-compile leaves none; this catches the rest)."""
    return {p for p in paths if p.endswith(".pyc")}


def rule_prune_modules(paths, ctx, read=None):
    """Command module folders not in ``ctx["modules"]``."""
    keep = set(ctx["modules"])
    root = "azure/cli/command_modules/"
    out = set()
    for p in paths:
        if p.startswith(root):
            head, sep, _ = p[len(root) :].partition("/")
            if sep and head not in keep:
                out.add(p)
    return out


def rule_prune_aaz(paths, ctx, read=None):
    """Generated ``aaz/latest`` subtrees of kept modules that no kept group path reaches.

    ``ctx["aaz_groups"]`` maps a module to group paths under ``aaz/latest``: "disk" keeps the
    whole group, "vmss/" (trailing slash) only the group's own files (what importing a class
    from it loads), and a command path ("network vnet create", words with spaces) the
    narrowest group it runs in: az loads AAZ code by walking the group folders that match the
    command's words, so for a command only its group's own files are needed, for a group path
    the whole group, and a word matching neither a folder nor a command file keeps the deepest
    matched group whole. A folder on the way to a kept path keeps its own files, not its other
    sub-folders. Modules absent from the mapping are left whole.
    """
    out = set()
    for module, groups in ctx["aaz_groups"].items():
        root = f"azure/cli/command_modules/{module}/aaz/latest/"
        layout = {}
        for p in paths:
            if p.startswith(root):
                parts = tuple(p[len(root) :].split("/"))
                for depth in range(len(parts)):
                    layout.setdefault(parts[:depth], set()).add(parts[depth])
        whole, own = [], []
        for g in groups:
            if " " not in g:
                key = tuple(p for p in g.replace(".", "/").split("/") if p)
                (own if g.endswith("/") else whole).append(key)
                continue
            key, kept = (), whole
            for word in g.replace("-", "_").split():
                if (*key, word) in layout:
                    key = (*key, word)
                elif f"_{word}.py" in layout.get(key, ()):
                    kept = own
                    break
                else:
                    break
            if key:
                kept.append(key)
        for p in paths:
            if not p.startswith(root):
                continue
            parts = tuple(p[len(root) :].split("/")[:-1])
            if parts and parts[-1] == "__pycache__":
                parts = parts[:-1]
            if not parts:
                continue
            if any(parts[: len(k)] == k or k[: len(parts)] == parts for k in whole):
                continue
            if any(k[: len(parts)] == parts for k in own):
                continue
            out.add(p)
    return out


def rule_trim_api_versions(paths, ctx, read=None):
    """``azure/mgmt/**/aio`` and API-version folders the latest profile does not use.

    Like azure-cli's scripts/trim_sdk.py: per import prefix in ``ctx["api_versions"]``, keep
    the listed versions plus those re-exported by the package's ``models.py`` (when ``read``
    can read it); skip single-API packages (no version folders) and, for safety, packages
    where none of the kept versions is installed.
    """
    import re

    folder_re = re.compile(r"^v\d{4}_\d{2}_\d{2}(?:_\w+)?$")
    reexport_re = re.compile(r"from \.(v[_\d\w]*)\.models import \*")
    out = {p for p in paths if p.startswith("azure/mgmt/") and "/aio/" in p[len("azure/mgmt") :]}
    for prefix, versions in ctx["api_versions"].items():
        root = prefix.replace(".", "/") + "/"
        present = {}
        for p in paths:
            if p.startswith(root):
                head, sep, _ = p[len(root) :].partition("/")
                if sep and folder_re.match(head):
                    present.setdefault(head, []).append(p)
        if not present:
            continue
        keep = {"v" + re.sub(r"[-.]", "_", v) for v in versions}
        text = read(root + "models.py") if read else None
        if text:
            keep.update(reexport_re.findall(text))
        if not keep & present.keys():
            continue
        for folder, files in present.items():
            if folder not in keep:
                out.update(files)
    return out


def rule_drop_pip(paths, ctx, read=None):
    """pip, setuptools and wheel (with pkg_resources and the distutils hack)."""
    tools = {"pip", "setuptools", "wheel", "pkg_resources", "_distutils_hack"}
    out = set()
    for p in paths:
        head = p.split("/", 1)[0]
        if head.endswith((".dist-info", ".egg-info")):
            head = head.split("-", 1)[0].lower()
        if head in tools or head == "distutils-precedence.pth":
            out.add(p)
    return out


def rule_drop_records(paths, ctx, read=None):
    """Every ``*.dist-info/RECORD``: pip's list of files to uninstall; nothing else reads it
    (importlib.metadata needs METADATA, not RECORD)."""
    return {p for p in paths if p.endswith(".dist-info/RECORD") and p.count("/") == 1}


def rule_prune_aaz_commands(paths, ctx, read=None):
    """Command files inside kept ``aaz/latest`` groups that nothing needs.

    An AAZ group's ``__init__.py`` star-imports every command file of the group, so keeping
    the group for one class keeps them all. For a group whose own files stay only because
    code imports classes from it (``ctx["aaz_names"]``: ``Update`` lives in ``_update.py``)
    or because a used command runs in it (``network vnet create``: ``vnet/_create.py``), the
    other command files go (the ``unimport`` effect also drops their lines from the group's
    ``__init__.py``). A group kept whole (``ctx["aaz_groups"]`` without a trailing slash, or a
    command path naming a group), star-imported, or importing a name that maps to no file of
    the group is left alone; ``__init__.py`` and ``__cmd_group.py`` always stay.
    """
    import re

    out = set()
    for module in set(ctx.get("aaz_names", {})) | set(ctx["aaz_groups"]):
        root = f"azure/cli/command_modules/{module}/aaz/latest/"
        layout, dirs = {}, {()}
        for p in paths:
            if p.startswith(root):
                parts = tuple(p[len(root) :].split("/"))
                layout.setdefault(parts[:-1], set()).add(parts[-1])
                dirs.update(parts[:i] for i in range(1, len(parts)))
        whole, runs = [], {}
        for g in ctx["aaz_groups"].get(module, ()):
            if " " not in g:
                if not g.endswith("/"):
                    whole.append(tuple(p for p in g.split("/") if p))
                continue
            key = ()
            for word in g.replace("-", "_").split():
                if (*key, word) in dirs:
                    key = (*key, word)
                elif f"_{word}.py" in layout.get(key, ()):
                    runs.setdefault(key, set()).add(f"_{word}")
                    break
                else:
                    whole.append(key)
                    break
            else:
                whole.append(key)
        names = {
            tuple(p for p in g.split("/") if p): set(n)
            for g, n in ctx.get("aaz_names", {}).get(module, {}).items()
        }
        for key in set(names) | set(runs):
            if any(key[: len(w)] == w for w in whole):
                continue
            stems = set(runs.get(key, ()))
            files = layout.get(key, set())
            for name in names.get(key, ()):
                stem = name if name.startswith("_") else "_" + re.sub(r"(?<!^)(?=[A-Z])", "_", name)
                if name == "*" or stem.lower() + ".py" not in files:
                    stems = None
                    break
                stems.add(stem.lower())
            if stems is None:
                continue
            base = root + "".join(f"{k}/" for k in key)
            for f in files:
                if f.endswith(".py") and f[:-3] not in stems | {"__init__", "__cmd_group"}:
                    out.add(base + f)
            for f in layout.get((*key, "__pycache__"), ()):
                stem = f.split(".", 1)[0]
                if stem + ".py" in files and stem not in stems | {"__init__", "__cmd_group"}:
                    out.add(base + "__pycache__/" + f)
    return out


def rule_prune_command_files(paths, ctx, read=None):
    """Files of kept command modules the load plan of the used commands never reaches.

    ``ctx["module_files"]`` maps a module to the files (relative to its folder) the load plan
    reaches; the module's other ``.py`` files (and their bytecode) go. The module's own
    ``aaz/`` code is prune-aaz's business and stays; generated code below a sub-package
    (``monitor/_legacy/aaz``) goes with that sub-package when its ``__init__.py`` is never
    reached (nothing under a package imports without it). Modules absent from the mapping
    are left whole, and so is every file that is not Python (data and help files stay).
    """
    root = "azure/cli/command_modules/"
    out = set()
    for p in paths:
        if not p.startswith(root):
            continue
        module, sep, rest = p[len(root) :].partition("/")
        keep = ctx.get("module_files", {}).get(module)
        if not sep or keep is None or rest.startswith("aaz/"):
            continue
        head, _, name = rest.rpartition("/")
        if name.endswith(".pyc") and head.rpartition("/")[2] == "__pycache__":
            head = head.rpartition("/")[0]
            source = (head + "/" if head else "") + name.split(".", 1)[0] + ".py"
        elif name.endswith(".py"):
            source = rest
        else:
            continue
        package, aaz, _ = source.partition("/aaz/")
        if aaz:
            source = package + "/__init__.py"
        if source not in keep:
            out.add(p)
    return out


def rule_prune_pygments(paths, ctx, read=None):
    """Pygments lexers, formatters and styles knack's coloured output never loads.

    knack formats ``-o jsonc`` / ``-o yamlc`` with ``JsonLexer`` / ``YamlLexer`` (both in
    ``lexers/data.py``) and ``TerminalFormatter``, whose base class looks up the ``default``
    style; the ``_mapping`` tables stay whole, so lookups by name (``get_lexer_by_name("json")``)
    still resolve, and a name whose module is gone fails as an unknown name would.
    """
    keep = {
        "lexers": {"__init__", "_mapping", "data", "special"},
        "formatters": {"__init__", "_mapping", "terminal", "terminal256"},
        "styles": {"__init__", "_mapping", "default"},
    }
    out = set()
    for p in paths:
        parts = p.split("/")
        if len(parts) < 3 or parts[0] != "pygments" or parts[1] not in keep:
            continue
        nested = len(parts) > 4 or (len(parts) == 4 and parts[2] != "__pycache__")
        if nested or parts[-1].split(".", 1)[0] not in keep[parts[1]]:
            out.add(p)
    return out


def rule_drop_tests(paths, ctx, read=None):
    """Test suites packages ship inside site-packages (``<package>/.../tests/``)."""
    out = set()
    for p in paths:
        parts = p.split("/")
        if ".dist-info" not in parts[0] and any(d in ("tests", "test") for d in parts[1:-1]):
            out.add(p)
    return out


def rule_drop_stubs(paths, ctx, read=None):
    """Type stubs (``.pyi``) and ``py.typed`` markers: only type checkers read them."""
    return {p for p in paths if p.endswith(".pyi") or p.rpartition("/")[2] == "py.typed"}


def rule_drop_docs(paths, ctx, read=None):
    """Documentation inside packages: ``docs/``/``doc/`` folders and ``.md``/``.rst`` files
    (dist-info metadata and licence files stay)."""
    out = set()
    for p in paths:
        parts = p.split("/")
        if parts[0].endswith(".dist-info") or len(parts) < 2:
            continue
        if any(d in ("docs", "doc") for d in parts[1:-1]) or p.endswith((".md", ".rst")):
            out.add(p)
    return out


def rule_strip_binaries(paths, ctx, read=None):
    """ELF shared objects (``*.so``, ``*.so.N``) to strip with ``strip --strip-unneeded``:
    only the symbols no relocation needs go, so the library loads and links as before."""
    import re

    so_re = re.compile(r"\.so(\.\d+)*$")
    return {p for p in paths if not p.startswith("../") and so_re.search(p)}


def rule_sourceless(paths, ctx, read=None):
    """``.py`` sources whose bytecode then lives beside them (legacy ``.pyc`` layout): Python
    imports a lone ``x.pyc`` without its source. pip and setuptools keep their sources."""
    tools = ("pip/", "setuptools/", "pkg_resources/", "_distutils_hack/", "wheel/")
    return {p for p in paths if p.endswith(".py") and not p.startswith(("../", *tools))}


def run_trim_script(trims, rules, ctx, argv, effects=None):
    """In-build entry point: apply ``trims`` (names) to this interpreter's site-packages.

    ``effects`` maps a trim to what happens to the paths its rule returns: ``delete``
    (the default), ``unimport`` (delete, and drop each deleted ``x.py``'s line
    ``from .x import *`` from its package's ``__init__.py``), ``strip`` (``strip
    --strip-unneeded`` on each ELF file, in place) or
    ``sourceless`` (each ``.py`` leaves ``x.pyc`` beside it and goes: pip's ``__pycache__``
    bytecode is moved there, or the source is compiled there now; a source that does not
    compile stays). A path an earlier
    trim handled is not handed to a later one.
    ``--root DIR`` trims a ``pip install --root DIR`` tree; ``--snapshot FILE`` only records
    the files present (before pip runs) and ``--before FILE`` leaves those files alone, so a
    system-mode trim never deletes the base image's own files (that would add whiteouts, not
    save bytes). Files a distribution removed whole (its METADATA gone) lists in its RECORD
    outside site-packages (its ``bin/`` scripts, inside the environment's prefix) go too.
    Prints one line per trim; deterministic (sorted walk).
    """
    import argparse
    import os
    import py_compile
    import shutil
    import subprocess
    import sys
    import sysconfig

    parser = argparse.ArgumentParser(prog="workbench-trim")
    parser.add_argument("--root", default="")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--snapshot")
    group.add_argument("--before")
    args = parser.parse_args(argv)
    effects = effects or {}
    site = args.root + sysconfig.get_path("purelib")
    tag = sys.implementation.cache_tag
    paths = []
    for dirpath, dirnames, filenames in os.walk(site):
        dirnames.sort()
        rel = os.path.relpath(dirpath, site).replace(os.sep, "/")
        paths.extend(f if rel == "." else f"{rel}/{f}" for f in sorted(filenames))
    if args.snapshot:
        with open(args.snapshot, "w", encoding="utf-8") as fh:
            fh.write("\n".join(paths))
        return 0
    if args.before:
        with open(args.before, encoding="utf-8") as fh:
            old = set(fh.read().splitlines())
        paths = [p for p in paths if p not in old]

    def read(rel):
        try:
            with open(os.path.join(site, rel), encoding="utf-8") as fh:
                return fh.read()
        except OSError:
            return None

    def size(rel):
        return os.lstat(os.path.join(site, rel)).st_size

    def is_elf(rel):
        with open(os.path.join(site, rel), "rb") as fh:
            return fh.read(4) == b"\x7fELF"

    def compiled(rel):
        head, _, name = rel.rpartition("/")
        return (head + "/" if head else "") + f"__pycache__/{name[:-3]}.{tag}.pyc"

    if "strip" in {effects.get(n) for n in trims} and not shutil.which("strip"):
        print("workbench-trim: strip-binaries needs binutils' strip on PATH", file=sys.stderr)
        return 1
    removed, handled = set(), set()
    for name in trims:
        hits = rules[name](paths, ctx, read) - removed - handled
        effect = effects.get(name, "delete")
        if effect == "strip":
            hits = {p for p in hits if not os.path.islink(os.path.join(site, p)) and is_elf(p)}
            before = sum(size(p) for p in hits)
            for p in sorted(hits):
                subprocess.run(["strip", "--strip-unneeded", os.path.join(site, p)], check=True)
            saved = before - sum(size(p) for p in hits)
            handled |= hits
        elif effect == "sourceless":
            present = set(paths) - removed
            done = set()
            for p in sorted(hits):
                legacy = os.path.join(site, p + "c")
                if compiled(p) in present:  # pip compiled it: move its bytecode
                    os.replace(os.path.join(site, compiled(p)), legacy)
                    removed.add(compiled(p))
                else:  # compile it now, naming the installed path (what tracebacks show)
                    real = os.path.join(site, p)[len(args.root) :]
                    try:
                        py_compile.compile(os.path.join(site, p), legacy, real, doraise=True)
                    except py_compile.PyCompileError:
                        continue  # not valid Python for this interpreter: the source stays
                done.add(p)
            hits = done
            saved = sum(size(p) for p in hits)
            removed |= hits
            handled |= {p + "c" for p in hits}
        else:
            saved = sum(size(p) for p in hits)
            removed |= hits
        if effect == "unimport":
            inits = {}
            for p in hits:
                head, _, stem = p.rpartition("/")
                if stem.endswith(".py"):
                    inits.setdefault(f"{head}/__init__.py", set()).add(stem[:-3])
            for init, stems in sorted(inits.items()):
                text = None if init in removed else read(init)
                if text is None:
                    continue
                lines = text.splitlines(keepends=True)
                kept = [
                    ln for ln in lines if ln.strip() not in {f"from .{s} import *" for s in stems}
                ]
                with open(os.path.join(site, init), "w", encoding="utf-8") as fh:
                    fh.write("".join(kept))
                saved += len(text.encode()) - len("".join(kept).encode())
        print(f"workbench-trim: {name}: {len(hits)} files, {saved} bytes")
    outside = set()
    prefix = os.path.normpath(args.root + sys.prefix) + os.sep
    for p in removed:
        if p.endswith(".dist-info/RECORD") and p[: -len("RECORD")] + "METADATA" in removed:
            for line in (read(p) or "").splitlines():
                entry = line.split(",", 1)[0]
                path = os.path.normpath(os.path.join(site, entry))
                if entry.startswith("../") and path.startswith(prefix):
                    outside.add(path)
    dirs = set()
    for p in sorted(removed):
        if os.path.lexists(os.path.join(site, p)):
            os.remove(os.path.join(site, p))
        dirs.add(os.path.dirname(p))
    for path in sorted(outside):
        if os.path.lexists(path):
            os.remove(path)
    for d in sorted(dirs, key=lambda d: d.count("/"), reverse=True):
        while d:
            full = os.path.join(site, d)
            if not os.path.isdir(full) or os.listdir(full):
                break
            os.rmdir(full)
            d = os.path.dirname(d)
    return 0
