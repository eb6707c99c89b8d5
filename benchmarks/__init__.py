"""derivlib's benchmarks, outside the package people install: `python -m benchmarks.bench` from the repository's
root (derivlib against the ways people compute derivatives without it, as Markdown tables)."""
