"""The image's own login: what ``az login``, ``az logout`` and ``az account`` need is kept.

A pipeline logs in before it runs the script (in the same container), so a script that never
calls ``az login`` still needs the ``profile`` module, its SDKs and the auth stack. The
analysis therefore adds ``LOGIN_PATHS`` to the scripts' command paths unless the recipe says
the image never logs in itself (``login = "none"``).
"""

from __future__ import annotations

from workbench.core.defaults import NO_LOGIN
from workbench.core.scan.model import AzCall

LOGIN_PATHS: tuple[tuple[str, ...], ...] = (("login",), ("logout",), ("account",))
LOGIN_SOURCE = "the image's login"  # stands for the file of the calls the login adds


def login_calls(route: str) -> tuple[AzCall, ...]:
    """The ``az`` calls the image's login makes (none for ``login = "none"``), analysed like
    the scripts' own calls."""
    if route == NO_LOGIN:  # the recipe validated the route where it entered
        return ()
    return tuple(
        AzCall(LOGIN_SOURCE, 0, path, path, f"az {' '.join(path)}", via=(f"login = {route}",))
        for path in LOGIN_PATHS
    )
