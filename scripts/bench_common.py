"""What the reference sides of `ptk bench` share: one timing rule (best of N)."""
import time


def best(fn, repeats=3):
    """Runs fn `repeats` times; returns its last result and the fastest time in seconds."""
    result, seconds = None, float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        seconds = min(seconds, time.perf_counter() - start)
    return result, seconds
