"""From a recipe to a BuildPlan: analysis (command paths, calls, modules), size estimate with
the recipe's trims, resolution, rendered Dockerfile + context, smoke and probe inputs."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from workbench.core.errors import WorkbenchError
from workbench.core.pipeline import BuildPlan
from workbench.core.smoke import SmokeCall

CLI_DISTS = ("azure-cli", "azure-cli-core")


@dataclass(frozen=True)
class _SetTrim:
    """A recipe trim as the estimator's PathTrim: a precomputed set of removed paths."""

    name: str
    key: tuple
    removed: frozenset[str]

    def removes(self, path: str) -> bool:
        return path in self.removed


def plan_from_recipe(recipe_path: str | os.PathLike, *, offline: bool = False) -> BuildPlan:
    """Everything ``run_plan`` needs for the recipe at ``recipe_path``."""
    from workbench.core.analyze import analyze
    from workbench.core.dockerfile import Resolution, build_context
    from workbench.core.knowledge import load_knowledge
    from workbench.core.recipe import Recipe
    from workbench.core.size_model import load_size_model

    recipe = Recipe.load(recipe_path)
    scripts = [str(recipe.root / s) for s in recipe.scripts]
    analysis = analyze(scripts, recipe.azure_cli) if scripts else None
    if analysis is not None and analysis.errors:
        raise WorkbenchError(f"{recipe_path}: {analysis.errors[0]}")
    knowledge = load_knowledge(recipe.azure_cli)
    context = trim_context(analysis, knowledge).merged(recipe.keep.context())
    model = load_size_model(recipe.target_of(), recipe.azure_cli, offline=offline)
    names = [p.name for p in recipe.packages]
    closure = [*model.closure([*CLI_DISTS, *names])]
    trims = path_trims(recipe.trims, context, model, closure)
    estimate = model.estimate(names, compile="no-compile" not in recipe.trims, trims=trims)
    built = build_context(recipe, Resolution.from_estimate(estimate), context)
    calls = tuple(SmokeCall(c.path, c.args, c.where) for c in analysis.commands) if analysis else ()
    baseline = {b.name for b in knowledge.baseline}
    return BuildPlan(
        dockerfile=built.dockerfile,
        files=dict(built.files),
        calls=calls,
        paths=tuple(c.path for c in calls),
        imports=tuple(m for n in names if n not in CLI_DISTS for m in import_names(model, n)),
        probe_packages=tuple(n for n in names if n not in baseline),
        estimate_bytes=estimate.total_bytes,
        target=model.target.to_dict(),
        recipe_text=Path(recipe_path).read_text(encoding="utf-8"),
    )


def trim_context(analysis, knowledge):
    """The TrimContext for the analysed scripts: ``analyze.trim_context`` when the analysis
    provides it, else the analysed modules plus the latest profile's API versions."""
    from workbench.core import analyze as analyze_module
    from workbench.core.trims import TrimContext

    provided = getattr(analyze_module, "trim_context", None)
    if analysis is None:
        return TrimContext()
    if provided is not None:
        return provided([*analysis.files], analysis.version)
    versions: dict[str, set[str]] = {}
    for entry in knowledge.api_profile.get("resource_types", {}).values():
        prefix = entry.get("import_prefix") or ""
        if not prefix.startswith("azure.mgmt") or not entry.get("in_profile", True):
            continue
        kept = {entry.get("api_version"), *(entry.get("operation_groups") or {}).values()}
        versions.setdefault(prefix, set()).update(v for v in kept if isinstance(v, str))
    for name, groups in knowledge.api_profile.get("ad_hoc_api_versions", {}).items():
        prefix = knowledge.api_profile["resource_types"].get(name, {}).get("import_prefix")
        if prefix in versions:
            versions[prefix].update(groups.values())
    return TrimContext(
        modules=frozenset(m.name for m in analysis.modules),
        api_versions={k: frozenset(v) for k, v in versions.items() if v},
    )


def path_trims(names, context, model, closure) -> list[_SetTrim]:
    """The recipe's trims (no-compile aside, an estimate option) as PathTrims over the
    closure's installed files."""
    from workbench.core.trims import TRIMS, ordered

    files = {path for name in closure for path in model.files_of(name)}
    key = repr(sorted(context.to_json().items()))
    return [
        _SetTrim(n, (n, key), frozenset(TRIMS[n].removes(files, context)))
        for n in ordered(names)
        if n != "no-compile"
    ]


def import_names(model, dist: str) -> list[str]:
    """Top-level import name of a distribution, from its installed files (the shallowest
    package with an ``__init__.py``, or a top-level module)."""
    inits = sorted(
        (p.count("/"), p[: -len("/__init__.py")].replace("/", "."))
        for p in model.files_of(dist)
        if p.endswith("/__init__.py") and ".dist-info" not in p and "/tests/" not in p
    )
    minimum = 3 if dist.startswith("azure-mgmt-") else 2 if dist.startswith("azure-") else 1
    for depth, name in inits:
        if depth >= minimum:
            return [name]
    modules = [p[:-3] for p in model.files_of(dist) if "/" not in p and p.endswith(".py")]
    return modules[:1]
