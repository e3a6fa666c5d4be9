"""The image's own login: what ``az login``, ``az logout`` and ``az account`` need is kept.

A pipeline logs in before it runs the script (in the same container), so a script that never
calls ``az login`` still needs the ``profile`` module, its SDKs and the auth stack. The
analysis therefore adds ``LOGIN_PATHS`` to the scripts' command paths unless the recipe says
the image never logs in itself (``login = "none"``).
"""

from __future__ import annotations

from workbench.core.errors import WorkbenchError
from workbench.core.scan.model import AzCall

DEFAULT_LOGIN = "service-principal"
NO_LOGIN = "none"
LOGIN_ROUTES = (DEFAULT_LOGIN, NO_LOGIN)
LOGIN_PATHS: tuple[tuple[str, ...], ...] = (("login",), ("logout",), ("account",))
LOGIN_SOURCE = "the image's login"  # stands for the file of the calls the login adds


def check_login(route: str, where: str = "recipe") -> str:
    """``route`` when it is one of ``LOGIN_ROUTES``; one WorkbenchError line otherwise."""
    if route not in LOGIN_ROUTES:
        raise WorkbenchError(
            f"{where}: login must be one of {', '.join(LOGIN_ROUTES)}, not {route!r} "
            f'("{NO_LOGIN}": the image never logs in itself, so the login commands are not kept)'
        )
    return route


def login_calls(route: str) -> tuple[AzCall, ...]:
    """The ``az`` calls the image's login makes (none for ``login = "none"``), analysed like
    the scripts' own calls."""
    if check_login(route) == NO_LOGIN:
        return ()
    return tuple(
        AzCall(LOGIN_SOURCE, 0, path, path, f"az {' '.join(path)}", via=(f"login = {route}",))
        for path in LOGIN_PATHS
    )


def login_saving(model, requested: list[str], analysis, trims: list[str], *, compile: bool) -> int:
    """Bytes ``login = "none"`` saves for a selection: the estimate of ``requested`` (hand
    picks plus ``analysis``'s packages) under ``trims`` with the login kept, minus the same
    without the packages and modules only the login needs. ``model``: a ``SizeModel``."""
    from workbench.core.analysis.scripts import analyze  # scripts imports this module
    from workbench.core.analysis.trim_context import trim_context
    from workbench.core.trims.registry import path_trims

    routes = {analysis.login: analysis}
    for route in (DEFAULT_LOGIN, NO_LOGIN):
        if route not in routes:
            routes[route] = analyze(analysis.files, analysis.version, login=route)
    login_only = set(routes[DEFAULT_LOGIN].package_names()) - set(routes[NO_LOGIN].package_names())
    hand = [n for n in requested if n not in analysis.package_names()]
    totals = {}
    for route, each in routes.items():
        names = [*hand, *each.package_names()]
        if route == NO_LOGIN:
            names = [n for n in names if n not in login_only or n in hand]
        context = trim_context(each.files, each.version, analysis=each) if trims else None
        bound = path_trims(trims, context) if trims else []
        totals[route] = model.estimate(names, compile=compile, trims=bound).total_bytes
    return totals[DEFAULT_LOGIN] - totals[NO_LOGIN]
