"""The seven endpoints: method, path, rate-limit group and how safe a retry is."""

from __future__ import annotations

from enum import Enum

import attrs

from ..ratelimit import COPYTRADING_GROUP

__all__ = [
    "FOLLOW",
    "HISTORY",
    "POSITIONS",
    "STOP",
    "TRADERS",
    "TRADER_DETAIL",
    "UPDATE_SETTINGS",
    "Endpoint",
    "RetrySafety",
]

PREFIX = "/api/mix/v1/copytrading"


class RetrySafety(Enum):
    #: Reading, or a change that gives the same result when repeated: retry any transient failure.
    IDEMPOTENT = "idempotent"
    #: Commits money: retry only when the server provably did not act on the request.
    NOT_IDEMPOTENT = "not_idempotent"


@attrs.frozen
class Endpoint:
    name: str
    method: str
    path: str
    safety: RetrySafety = RetrySafety.IDEMPOTENT
    group: str = COPYTRADING_GROUP


TRADERS = Endpoint("traders.list", "GET", f"{PREFIX}/traders")
TRADER_DETAIL = Endpoint("traders.get", "GET", f"{PREFIX}/trader/detail")
FOLLOW = Endpoint("follows.start", "POST", f"{PREFIX}/follow", RetrySafety.NOT_IDEMPOTENT)
STOP = Endpoint("follows.stop", "POST", f"{PREFIX}/stop")
UPDATE_SETTINGS = Endpoint("follows.update", "POST", f"{PREFIX}/updateSettings")
POSITIONS = Endpoint("follows.positions", "GET", f"{PREFIX}/positions")
HISTORY = Endpoint("history.list", "GET", f"{PREFIX}/history")
