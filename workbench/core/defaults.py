"""Names and defaults every room and face shares, defined once (no imports: cheap anywhere)."""

DEFAULT_AZURE_CLI = "2.91.0"  # the version the embedded knowledge and size snapshots describe
DEFAULT_BASE_IMAGE = "python:3.12-alpine"
CLI, CORE = "azure-cli", "azure-cli-core"  # always installed (azure-cli with --no-deps)
PIN_MODES = ("exact", "compatible", "none")
INSTALL_MODES = ("system", "venv", "multistage")
NO_COMPILE = "no-compile"  # the trim that installs without .pyc (``compile`` in the faces)
VENV = "/opt/az"  # where venv and multistage installs put azure-cli (and reference images)
DEFAULT_LOGIN = "service-principal"  # the image logs in itself (az login/logout/account kept)
NO_LOGIN = "none"  # the image never logs in itself: the login commands are not kept
LOGIN_ROUTES = (DEFAULT_LOGIN, NO_LOGIN)
