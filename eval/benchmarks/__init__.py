"""Benchmarks of the evaluation harness, each a loader + prompt builder + grader."""
