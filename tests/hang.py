"""How long a test waits on a process it started before calling it stuck.

A guard against a hang stalling the suite, never a measure of speed (bench/ measures that): so it is
generous. A Python process importing aiogram or starting the embedded PostgreSQL took over 60 s on a
loaded two-core machine, where the slow tests run beside the rest (tests/run).
"""

HANG = 180.0
