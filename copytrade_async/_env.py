"""What the client reads from the environment, as openai's client does: the credentials, the
base URL, the demo switch, and the library's logging.

* ``COPYTRADE_API_KEY``, ``COPYTRADE_API_SECRET``, ``COPYTRADE_PASSPHRASE``: the credentials,
  for any of them not passed to the client; one that is neither passed nor set is an error
  naming the variables.
* ``COPYTRADE_BASE_URL``: the exchange's URL, when ``base_url`` is not passed.
* ``COPYTRADE_DEMO``: ``1``/``true``/``yes`` for demo (paper) trading, when ``demo`` is not
  passed.
* ``COPYTRADE_LOG``: ``debug`` or ``info`` sends the ``copytrade_async`` logger's records of
  that level and above to stderr (once per process, and only if that logger has no handler).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping

__all__ = [
    "ENV_API_KEY",
    "ENV_API_SECRET",
    "ENV_BASE_URL",
    "ENV_DEMO",
    "ENV_LOG",
    "ENV_PASSPHRASE",
    "credentials_from_env",
    "demo_from_env",
    "setup_logging",
]

ENV_API_KEY = "COPYTRADE_API_KEY"
ENV_API_SECRET = "COPYTRADE_API_SECRET"
ENV_PASSPHRASE = "COPYTRADE_PASSPHRASE"
ENV_BASE_URL = "COPYTRADE_BASE_URL"
ENV_DEMO = "COPYTRADE_DEMO"
ENV_LOG = "COPYTRADE_LOG"

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})


def credentials_from_env(
    api_key: str | None,
    api_secret: str | None,
    passphrase: str | None,
    environ: Mapping[str, str] = os.environ,
) -> tuple[str, str, str]:
    """The three credentials: each as passed (even if empty: the client then says what is
    wrong with it), or else from its variable."""
    given = {ENV_API_KEY: api_key, ENV_API_SECRET: api_secret, ENV_PASSPHRASE: passphrase}
    found = {
        name: environ.get(name, "") if value is None else value for name, value in given.items()
    }
    missing = [name for name, value in given.items() if value is None and not found[name]]
    if missing:
        raise ValueError(
            "missing credentials: pass api_key, api_secret and passphrase to the client, or "
            f"set {', '.join(missing)} in the environment"
        )
    return found[ENV_API_KEY], found[ENV_API_SECRET], found[ENV_PASSPHRASE]


def demo_from_env(environ: Mapping[str, str] = os.environ) -> bool:
    """``COPYTRADE_DEMO`` as a switch (off when unset)."""
    value = environ.get(ENV_DEMO, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{ENV_DEMO} must be 1/true/yes or 0/false/no, got {value!r:.20}")


def setup_logging(environ: Mapping[str, str] = os.environ) -> None:
    """Honour ``COPYTRADE_LOG`` (see the module docs)."""
    level = _LEVELS.get(environ.get(ENV_LOG, "").strip().lower())
    logger = logging.getLogger("copytrade_async")
    if level is None or logger.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
