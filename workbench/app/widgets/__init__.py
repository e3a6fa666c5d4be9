"""Reusable widgets of the workbench app."""
