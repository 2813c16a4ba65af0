"""``make bench``: what the facade costs over the floor a user could write by hand.

Run ``python -m tools.bench [--quick] [--json FILE] [--rounds N] [--cases 1,2]``.
It starts the fake server on loopback (in a process of its own), measures the
six cases with the variants interleaved in one run, prints one table of
medians and ratios to the floor, and optionally writes the same data as JSON.
It is a measurement, not a test: nothing fails on a missed target, the table
says ``NO``.
"""
