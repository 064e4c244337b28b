"""Throughput benchmarks (`make bench`), each printed as ratios against a baseline run alongside.

See docs/benchmarks.md. ``python -m bench`` runs every default entry of ``bench.__main__.ENTRIES``;
``python -m bench NAME ...`` runs the named ones.
"""
