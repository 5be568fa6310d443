"""Benchmarks of Anxun's hot paths (``python bench/run.py``). Not part of the deployed product."""
