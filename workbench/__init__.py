"""workbench: trim container images that include the Azure CLI."""

__version__ = "0.1.0"
