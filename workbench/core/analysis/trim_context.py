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

A script whose command path cannot be read (``az "$@"``) leaves ``modules`` unknown (None) and
AAZ code whole: prune-modules then refuses to run rather than guess.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from workbench.core.errors import WorkbenchError
from workbench.core.knowledge.load_plan import plan_load
from workbench.core.knowledge.model import EMBEDDED_VERSION, Knowledge, load_knowledge
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


def scripts_context(
    script_paths: Iterable[str | Path], azure_cli: str = EMBEDDED_VERSION, *, analysis=None
) -> TrimContext:
    """``trim_context`` for the scripts; with none, only the API profile (module and AAZ trims
    then refuse, as nothing says what is needed)."""
    paths = list(script_paths)
    if paths:
        return trim_context(paths, azure_cli, analysis=analysis)
    return TrimContext(None, api_versions(load_knowledge(azure_cli), None), {})


def recipe_context(recipe, *, analysis=None) -> TrimContext:
    """What the trims keep for a ``Recipe``: its scripts' context plus its ``[keep]`` table."""
    scripts = [recipe.root / s for s in recipe.scripts]
    if analysis is None and scripts:
        from workbench.core.analysis.scripts import analyze  # analyze re-exports this module

        analysis = analyze(scripts, recipe.azure_cli, login=recipe.login)
    context = scripts_context(scripts, recipe.azure_cli, analysis=analysis)
    return context.merged(recipe.keep.context())


def trim_context(
    script_paths: Iterable[str | Path],
    azure_cli: str = EMBEDDED_VERSION,
    *,
    knowledge: Knowledge | None = None,
    analysis=None,
) -> TrimContext:
    """The TrimContext for the scripts at ``script_paths`` on azure-cli ``azure_cli``;
    ``analysis``: their ``Analysis`` when the caller already has it (not analysed again)."""
    from workbench.core.analysis.scripts import analyze  # analyze re-exports this function

    knowledge = knowledge or load_knowledge(azure_cli)
    analysis = analysis or analyze(script_paths, azure_cli, knowledge=knowledge)
    if not analysis.analysed:
        problem = analysis.errors[0] if analysis.errors else "no script could be read"
        raise WorkbenchError(f"cannot derive what the trims keep: {problem}")
    versions = api_versions(knowledge, analysis.package_names())
    hidden = tuple(
        f"{Path(s.file).name}:{s.line}: {s.reason}" for s in analysis.unresolved if s.path_unknown
    )
    if hidden:
        known = frozenset(m.name for m in analysis.modules)
        return TrimContext(None, versions, {}, hidden, known)
    if "files" not in knowledge.data:  # knowledge built before the load plan existed
        return TrimContext(frozenset(m.name for m in analysis.modules), versions, {})
    plan = plan_load(knowledge, [c.path for c in analysis.all_commands])
    modules = frozenset(plan.modules)
    groups = {m: frozenset(plan.aaz_groups.get(m, ())) for m in sorted(modules)}
    return TrimContext(modules, versions, groups)
