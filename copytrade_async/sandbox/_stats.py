"""What the sandbox has seen: requests by path and status, 429s, and arrival times."""

from __future__ import annotations

import time
from collections import Counter, deque

__all__ = ["SandboxStats"]


class SandboxStats:
    """Counters of API requests (the admin paths are not counted).

    ``arrivals`` holds the :func:`time.monotonic` arrival time of each API request (the most
    recent ``max_arrivals``), so a test can check how fast a client really sent them.
    A dropped connection is counted with status 0.
    """

    def __init__(self, max_arrivals: int = 1_000_000) -> None:
        self.requests: Counter[tuple[str, int]] = Counter()
        self.rate_limited = 0
        self.dropped = 0
        self.arrivals: deque[float] = deque(maxlen=max_arrivals)

    def arrived(self) -> None:
        self.arrivals.append(time.monotonic())

    def answered(self, path: str, status: int) -> None:
        self.requests[path, status] += 1
        if status == 429:
            self.rate_limited += 1
        elif status == 0:
            self.dropped += 1

    @property
    def total(self) -> int:
        return sum(self.requests.values())

    def by_path(self) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for (path, _), n in self.requests.items():
            counts[path] += n
        return dict(counts)

    def by_status(self) -> dict[int, int]:
        counts: Counter[int] = Counter()
        for (_, status), n in self.requests.items():
            counts[status] += n
        return dict(counts)

    def max_requests_in_window(self, window_s: float = 1.0) -> int:
        """The most API requests that arrived within any ``window_s``-long window (two arrivals
        ``window_s`` apart or more are never in the same window)."""
        if not window_s > 0:
            raise ValueError("window_s must be positive")
        times = list(self.arrivals)
        best = start = 0
        for end, arrival in enumerate(times):
            while arrival - times[start] >= window_s:
                start += 1
            best = max(best, end - start + 1)
        return best

    def reset(self) -> None:
        self.requests.clear()
        self.rate_limited = 0
        self.dropped = 0
        self.arrivals.clear()

    def to_json(self) -> dict[str, object]:
        paths: dict[str, dict[str, int]] = {}
        for (path, status), n in sorted(self.requests.items()):
            paths.setdefault(path, {})[str(status)] = n
        return {
            "total": self.total,
            "rateLimited": self.rate_limited,
            "dropped": self.dropped,
            "requests": paths,
            "maxRequestsIn1s": self.max_requests_in_window(1.0),
        }
