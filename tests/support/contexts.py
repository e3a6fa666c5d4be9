"""What the trims keep for scripts, derived the way the faces derive it: through a Project."""

from __future__ import annotations

from workbench.core.project import Project
from workbench.core.sizes.target import default_target
from workbench.core.trims.registry import TrimContext


def scripts_context(scripts) -> TrimContext:
    """The trim context of ``scripts`` on the default target (offline: the snapshot)."""
    return Project.for_scripts(scripts, target=default_target(), offline=True).trim_context
