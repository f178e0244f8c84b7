"""accel's performance benchmarks (issue 10): ``python -m benchmarks`` from the repository root.

Not installed with accel: a folder of the repository that measures, in one run on the
current machine, every performance target as a ratio against baselines measured in
the same run, and writes ``results.json`` and ``results.md``.
"""
