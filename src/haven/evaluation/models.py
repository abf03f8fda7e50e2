"""Evaluation exports (issue 18): de-identified child-level data for the program's evaluators."""
