"""A running estimate of the offset between the local clock and the exchange's clock.

Requests are signed with a millisecond timestamp that the exchange checks against its own
clock, so a local clock that drifts gets every request refused with 40008. Every envelope
carries the server's ``requestTime``; each one is a sample of the offset, taken against the
midpoint of the request's local send and receive times. The estimate is an exponentially
weighted mean of the samples, set outright by the first sample and by :meth:`resync` (used after
a 40008). The ``Date`` header, with its one-second resolution, is used only to correct an
estimate that is off by more than that resolution.
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["ServerClock", "wall_ms"]


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


class ServerClock:
    def __init__(self, local_ms: Callable[[], int] = wall_ms, *, smoothing: float = 0.25) -> None:
        if not 0 < smoothing <= 1:
            raise ValueError("smoothing must be in (0, 1]")
        self._local_ms = local_ms
        self._smoothing = smoothing
        self._offset_ms = 0.0
        self._synced = False

    @property
    def offset_ms(self) -> float:
        """Server clock minus local clock, in milliseconds."""
        return self._offset_ms

    def local_ms(self) -> int:
        return self._local_ms()

    def now_ms(self) -> int:
        """The estimated server time: what requests are signed with."""
        return self._local_ms() + round(self._offset_ms)

    def observe(self, server_ms: int, sent_ms: int, received_ms: int) -> None:
        """Fold in one ``requestTime`` seen on a response sent and received at these local times."""
        sample = server_ms - (sent_ms + received_ms) / 2
        if not self._synced:
            self._offset_ms = sample
            self._synced = True
        else:
            self._offset_ms += self._smoothing * (sample - self._offset_ms)

    def resync(self, server_ms: int, sent_ms: int, received_ms: int) -> None:
        """Replace the estimate with this sample (after the server refused our timestamp)."""
        self._offset_ms = server_ms - (sent_ms + received_ms) / 2
        self._synced = True

    def observe_date(self, date_ms: int, received_ms: int) -> None:
        """Use a ``Date`` header (whole seconds) only when the estimate is clearly wrong."""
        sample = date_ms + 500 - received_ms  # the true time lies within the second
        if abs(sample - self._offset_ms) > 1500:
            self._offset_ms = sample
            self._synced = True
