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


def run_trim_script(trims, rules, ctx, argv):
    """In-build entry point: apply ``trims`` (names) to this interpreter's site-packages.

    ``--root DIR`` trims a ``pip install --root DIR`` tree; ``--snapshot FILE`` only records
    the files present (before pip runs) and ``--before FILE`` leaves those files alone, so a
    system-mode trim never deletes the base image's own files (that would add whiteouts, not
    save bytes). Files a removed distribution's RECORD lists outside site-packages (its
    ``bin/`` scripts, inside the environment's prefix) go too. Prints one line per trim;
    deterministic (sorted walk).
    """
    import argparse
    import os
    import sys
    import sysconfig

    parser = argparse.ArgumentParser(prog="workbench-trim")
    parser.add_argument("--root", default="")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--snapshot")
    group.add_argument("--before")
    args = parser.parse_args(argv)
    site = args.root + sysconfig.get_path("purelib")
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

    removed = set()
    for name in trims:
        hits = rules[name](paths, ctx, read) - removed
        size = sum(os.lstat(os.path.join(site, p)).st_size for p in hits)
        print(f"workbench-trim: {name}: {len(hits)} files, {size} bytes")
        removed |= hits
    outside = set()
    prefix = os.path.normpath(args.root + sys.prefix) + os.sep
    for p in removed:
        if p.endswith(".dist-info/RECORD"):
            for line in (read(p) or "").splitlines():
                entry = line.split(",", 1)[0]
                path = os.path.normpath(os.path.join(site, entry))
                if entry.startswith("../") and path.startswith(prefix):
                    outside.add(path)
    dirs = set()
    for p in sorted(removed):
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
