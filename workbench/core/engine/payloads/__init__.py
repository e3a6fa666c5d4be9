"""Code that runs inside containers with the image's own Python: standard library only,
nothing added to the image (the import contracts and a bare-Python test hold this)."""
