"""What the trims must keep for a set of scripts: the ``TrimContext`` the analysis derives.

- ``modules``: command modules the index loads for the used top words, plus every module whose
  code that loads or runs (the static load plan of ``workbench.core.knowledge.load_plan``).
- ``api_versions``: per SDK import prefix of the selected distributions, the versions the
  ``latest`` profile uses (default and per operation group), ``AD_HOC_API_VERSIONS``, the
  versions the package itself re-exports (``models.py``: ``from .v2024_11_30.models import *``)
  and versions azure-cli names by folder.
- ``aaz_groups``: per kept module, the used command paths (prune-aaz keeps the narrowest
  ``aaz/latest`` group each runs in) and the groups the loaded or running code imports (only
  the group's own files when it imports classes from it); kept modules with nothing listed
  lose all their generated AAZ commands.
- ``aaz_names``: per kept module and AAZ group, what the loaded or running code imports from
  the group's own files (prune-aaz-commands keeps only those and the used commands' files).
- ``module_files``: per kept module, the files the load plan reaches (prune-command-files
  deletes the module's other Python files).

A script whose command path cannot be read (``az "$@"``) leaves ``modules`` unknown (None) and
AAZ code whole: prune-modules then refuses to run rather than guess, unless a traced run
(``workbench init --trace``) recorded the paths it took (the recipe's ``observed_paths``).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from workbench.core.analysis.scripts import OBSERVED, ScriptAnalysis
from workbench.core.errors import WorkbenchError
from workbench.core.knowledge.model import Knowledge
from workbench.core.trims.registry import TrimContext


def api_versions(knowledge: Knowledge, dists: Iterable[str] | None) -> dict[str, frozenset[str]]:
    """Import prefix -> API versions to keep, for the prefixes ``dists`` ship (None: all)."""
    data = knowledge.data
    owners = data.get("prefix_dists", {})
    wanted = None if dists is None else set(dists)
    profile = knowledge.api_profile
    ad_hoc = profile.get("ad_hoc_api_versions", {})
    out: dict[str, set[str]] = {}
    for member, entry in profile["resource_types"].items():
        prefix = entry["import_prefix"]
        versions = {entry.get("api_version")} | set(entry.get("operation_groups", {}).values())
        versions.discard(None)
        if not versions or (wanted is not None and owners.get(prefix) not in wanted):
            continue  # single-API SDK, or not installed
        versions |= set(ad_hoc.get(member, {}).values())
        out.setdefault(prefix, set()).update(versions)
    for table in (data.get("api_reexports", {}), data.get("api_explicit", {})):
        for prefix, versions in table.items():
            if prefix in out:
                out[prefix].update(versions)
    return {k: frozenset(v) for k, v in sorted(out.items())}


def trim_context(analysis: ScriptAnalysis, knowledge: Knowledge) -> TrimContext:
    """The TrimContext of an ``analysis`` made with ``knowledge`` (its load plan reused); paths
    a traced run observed (``OBSERVED`` commands) settle the spots that hid them."""
    if not analysis.analysed:
        problem = analysis.errors[0] if analysis.errors else "no script could be read"
        raise WorkbenchError(f"cannot derive what the trims keep: {problem}")
    versions = api_versions(knowledge, analysis.package_names())
    hidden = tuple(
        f"{Path(s.file).name}:{s.line}: {s.reason}" for s in analysis.unresolved if s.path_unknown
    )
    traced = any(c.file == OBSERVED for c in analysis.commands)
    if hidden and not traced:
        known = frozenset(m.name for m in analysis.modules)
        return TrimContext(None, versions, {}, hidden=hidden, known=known)
    plan = analysis.load_plan
    if plan is None:  # knowledge built before the load plan existed
        return TrimContext(frozenset(m.name for m in analysis.modules), versions, {})
    modules = frozenset(plan.modules)
    groups = {m: frozenset(plan.aaz_groups.get(m, ())) for m in sorted(modules)}
    names = {
        m: {g: frozenset(n) for g, n in sorted(plan.aaz_names[m].items())}
        for m in sorted(modules)
        if m in plan.aaz_names
    }
    return TrimContext(modules, versions, groups, plan.module_files(), names)
