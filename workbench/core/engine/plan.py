"""From a recipe to a BuildPlan: analysis (command paths, calls, modules), size estimate with
the recipe's trims, resolution, rendered Dockerfile + context, smoke and probe inputs."""

from __future__ import annotations

import os

from workbench.core.engine.pipeline import BuildPlan
from workbench.core.engine.smoke import SmokeCall
from workbench.core.errors import WorkbenchError
from workbench.core.recipe.recipe import Recipe

CLI_DISTS = ("azure-cli", "azure-cli-core")


def plan_from_recipe(recipe: str | os.PathLike | Recipe, *, offline: bool = False) -> BuildPlan:
    """Everything ``run_plan`` needs for a recipe (a path, or one already loaded/edited)."""
    from workbench.core.analysis.scripts import analyze
    from workbench.core.analysis.trim_context import recipe_context
    from workbench.core.knowledge.model import load_knowledge
    from workbench.core.recipe.dockerfile import Resolution, build_context
    from workbench.core.sizes.model import load_size_model
    from workbench.core.sizes.venv_seed import venv_seed
    from workbench.core.trims.registry import path_trims

    if not isinstance(recipe, Recipe):
        recipe = Recipe.load(recipe)
    scripts = [str(recipe.root / s) for s in recipe.scripts]
    analysis = analyze(scripts, recipe.azure_cli, login=recipe.login) if scripts else None
    if analysis is not None and analysis.errors:
        raise WorkbenchError(f"{recipe.path}: {analysis.errors[0]}")
    knowledge = load_knowledge(recipe.azure_cli)
    context = recipe_context(recipe, analysis=analysis)
    model = load_size_model(recipe.target_of(), recipe.azure_cli, offline=offline)
    names = [p.name for p in recipe.packages]
    trims = path_trims(recipe.trims, context)
    estimate = model.estimate(names, compile="no-compile" not in recipe.trims, trims=trims)
    seed = venv_seed(model.target, recipe.mode, recipe.trims)
    built = build_context(recipe, Resolution.from_size_model(model, names), context)
    calls = tuple(SmokeCall(c.path, c.args, c.where) for c in analysis.commands) if analysis else ()
    baseline = {b.name for b in knowledge.baseline}
    return BuildPlan(
        dockerfile=built.dockerfile,
        files=dict(built.files),
        calls=calls,
        paths=tuple(c.path for c in calls)
        + (tuple(c.path for c in analysis.login_commands) if analysis else ()),
        imports=tuple(m for n in names if n not in CLI_DISTS for m in import_names(model, n)),
        probe_packages=tuple(n for n in names if n not in baseline),
        estimate_bytes=estimate.total_bytes + (seed.bytes if seed else 0),
        target=model.target.to_dict(),
        recipe_text=recipe.to_toml(),
    )


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
