"""Benchmarks of learnapp (issue 8): a dataset generator and bench/run."""
