"""Builders shared by the tests: realistic AWS API shapes, varied by parameters, never tuned to one case."""
