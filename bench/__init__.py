"""Benchmarks: ``python -m bench <name> [options]`` (figures are printed, never asserted)."""
