"""The command palette's workbench entries: each names a screen and the action its key runs."""

from __future__ import annotations

from typing import NamedTuple

from workbench.app.session import PATH_TRIMS


class Entry(NamedTuple):
    """A palette entry: switch to ``mode`` and run the screen's ``action`` (as the key does)."""

    title: str
    help: str
    mode: str
    action: str


ENTRIES: tuple[Entry, ...] = (
    Entry(
        "Change target",
        "Base image, Python, libc, arch, azure-cli version (b on Packages)",
        "packages",
        "pick_target",
    ),
    Entry(
        "Compare targets",
        "The selection on several bases side by side, cheapest marked (g on Packages)",
        "packages",
        "compare_targets",
    ),
    Entry(
        "Install mode",
        "Cycle system / venv / multistage (m on Packages)",
        "packages",
        "install_mode",
    ),
    Entry(
        "Toggle .pyc", "Install with or without .pyc files (c on Packages)", "packages", "compile"
    ),
    *(
        Entry(
            f"Trim {name}",
            f"Turn the {name} trim on or off (Packages)",
            "packages",
            f"trim({name!r})",
        )
        for name in PATH_TRIMS
    ),
    Entry("Add a script", "Analyse one more script (a on Scripts)", "scripts", "add_script"),
    Entry(
        "Write Dockerfile",
        "Write the Dockerfile beside the recipe (w on Dockerfile)",
        "dockerfile",
        "write",
    ),
    Entry("Start a build", "Build the image on the Docker engine (b on Build)", "build", "build"),
    Entry("Cancel the build", "Stop the running build (x on Build)", "build", "cancel"),
    Entry(
        "Analyse an image",
        "Choose an image or archive for the layer view (i on Layers)",
        "layers",
        "choose",
    ),
    Entry("Compare builds", "Compare the two marked builds (c on History)", "history", "compare"),
)
