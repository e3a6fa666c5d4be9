"""Container images as a whole: the base image's size (engine or registry), what a local
image holds (probe), and the whole-image estimate (base + OS packages + Python)."""
