"""The sandbox's error answers: an exchange code, its message and the HTTP status."""

from __future__ import annotations

from decimal import Decimal

__all__ = ["SandboxError"]


class SandboxError(Exception):
    """A request the exchange refuses. The app turns it into an error envelope."""

    def __init__(self, code: str, msg: str, status: int = 400) -> None:
        super().__init__(code, msg, status)
        self.code = code
        self.msg = msg
        self.status = status

    def __str__(self) -> str:
        return f"{self.code}: {self.msg} (HTTP {self.status})"

    # Every rule the exchange enforces, by its code. Built through these helpers so each code
    # always carries the same message and status.
    @classmethod
    def parameter(cls, detail: str = "") -> SandboxError:
        return cls("40020", f"Parameter error{': ' + detail if detail else ''}")

    @classmethod
    def follow_not_found(cls) -> SandboxError:
        return cls("40034", "follow not found")

    @classmethod
    def invalid_trader(cls) -> SandboxError:
        return cls("80001", "Invalid trader")

    @classmethod
    def invalid_settings(cls, detail: str) -> SandboxError:
        return cls("80002", f"Invalid follow settings: {detail}")

    @classmethod
    def insufficient_balance(cls, available: Decimal, asked: Decimal) -> SandboxError:
        # As with 80004: what was short, then where the sandbox's deposit is set.
        return cls(
            "80003",
            f"Insufficient balance: {available:f} USDT available, {asked:f} asked; this"
            " sandbox's deposit is SandboxConfig(deposit=...), `copytrade sandbox serve"
            " --deposit AMOUNT`",
        )

    @classmethod
    def copy_limit(cls, limit: int) -> SandboxError:
        # The exchange's message, then where the sandbox's limit is set: a user who meant to
        # follow more learns the knob without reading the source.
        return cls(
            "80004",
            f"Copy limit exceeded: {limit} active follows per account; this sandbox's limit is"
            " SandboxConfig(max_follows=...), `copytrade sandbox serve --max-follows N`",
        )

    @classmethod
    def already_following(cls) -> SandboxError:
        return cls("80005", "Already following")
