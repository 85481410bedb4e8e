"""Keeping our secrets out of every error and log line, even when the server echoes them.

A hostile or buggy server can put the passphrase, the API secret or the signature it was sent
into its ``msg``, into an HTML page, or into a header line no HTTP library accepts (whose text
then comes back inside the library's error). :class:`Redactor` replaces each of them with
``***``, in the forms a server might echo: as it is, URL-encoded (``quote`` and ``quote_plus``),
base64 (with and without padding, standard and URL-safe), escaped as in a ``repr`` or JSON; and
a prefix of one (at least :data:`MIN_PREFIX` characters) left at the end of a text that was cut
short. Texts shorter than :data:`MIN_SECRET` characters are not looked for: they would hide
ordinary words.

Where it runs, so that it cannot be forgotten:

* the pipeline passes a call's redactor to :func:`~._envelope.decode_envelope`, which applies
  it to the server's ``msg`` and to a snippet of a body before cutting them short;
* the pipeline hands every error an attempt raises to :func:`scrub` before anything else sees
  it (the retry policy, the retry log line, the caller): the error's own texts are redacted,
  and a chained library error (``__cause__``, ``__context__``) whose text or ``repr`` holds a
  secret is replaced by a :class:`RedactedError` that keeps its type name and redacted text;
* while an attempt runs, :data:`ACTIVE` holds its redactor, and a filter on the loggers of
  httpx and httpcore (which log response headers and errors at DEBUG) redacts their records.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from urllib.parse import quote, quote_plus

__all__ = ["ACTIVE", "RedactedError", "Redactor", "install_log_filter", "scrub"]

MASK = "***"
#: Secrets shorter than this are not looked for.
MIN_SECRET = 4
#: The shortest prefix of a secret hidden at the end of a text that was cut short.
MIN_PREFIX = 4

Redact = Callable[[str], str]

#: The redactor of the attempt running in this context, for the log filter.
ACTIVE: ContextVar[Redact | None] = ContextVar("copytrade_async_redact", default=None)


def _forms(secret: str) -> set[str]:
    raw = secret.encode()
    b64 = base64.b64encode(raw).decode()
    urlsafe = base64.urlsafe_b64encode(raw).decode()
    found = {
        secret,
        quote(secret, safe=""),
        quote(secret),
        quote_plus(secret),
        b64,
        b64.rstrip("="),
        urlsafe,
        urlsafe.rstrip("="),
        json.dumps(secret)[1:-1],
        repr(secret)[1:-1],
        repr(raw)[2:-1],
    }
    return {form for form in found if len(form) >= MIN_SECRET}


class Redactor:
    """Replaces our secrets, in every form, with ``***``. Built once per client from the
    credentials; :meth:`with_signatures` adds a call's signatures."""

    __slots__ = ("_forms", "_longest_prefix", "_prefixes")

    def __init__(self, secrets: Iterable[str], *, _forms_given: Iterable[str] = ()) -> None:
        forms: set[str] = set(_forms_given)
        for secret in secrets:
            if len(secret) >= MIN_SECRET:
                forms |= _forms(secret)
        # Longest first, so that a form is masked whole before a shorter one inside it.
        self._forms = tuple(sorted(forms, key=len, reverse=True))
        # Every prefix of every form: built at the first text to redact (an idle client, or one
        # that never fails, never needs them; they are most of a redactor's memory).
        self._prefixes: frozenset[str] | None = None
        self._longest_prefix = max((len(form) - 1 for form in forms), default=0)

    def with_signatures(self, signatures: Iterable[str]) -> Redactor:
        """This redactor, also hiding ``signatures``."""
        return Redactor(signatures, _forms_given=self._forms)

    def __call__(self, text: str) -> str:
        for form in self._forms:
            if form in text:
                text = text.replace(form, MASK)
        return self._cut_tail(text)

    def _cut_tail(self, text: str) -> str:
        """Mask a prefix of a secret at the very end of ``text`` (which may have been cut)."""
        prefixes = self._prefixes
        if prefixes is None:
            forms = self._forms
            prefixes = frozenset(f[:size] for f in forms for size in range(MIN_PREFIX, len(f)))
            self._prefixes = prefixes
        for size in range(min(self._longest_prefix, len(text)), MIN_PREFIX - 1, -1):
            if text[-size:] in prefixes:
                return text[:-size] + MASK
        return text


class RedactedError(Exception):
    """Stands in, in a chain of causes, for a library's error whose text held a secret."""


def _redact_value(value: object, redact: Redact) -> object:
    return redact(value) if isinstance(value, str) else value


def _clean_link(exc: BaseException, redact: Redact) -> BaseException:
    """``exc``, or a :class:`RedactedError` standing in for it when it shows a secret."""
    text = str(exc)
    if redact(text) == text and redact(repr(exc)) == repr(exc):
        return exc
    name = f"{type(exc).__module__}.{type(exc).__qualname__}"
    stand_in = RedactedError(f"{name}: {redact(text)}")
    stand_in.__traceback__ = exc.__traceback__
    stand_in.__cause__ = exc.__cause__
    stand_in.__context__ = exc.__context__
    stand_in.__suppress_context__ = exc.__suppress_context__
    return stand_in


def scrub(error: BaseException, redact: Redact) -> None:
    """Redact ``error``'s texts (its ``args`` and string attributes) in place, and replace
    every link of its chain of causes that shows a secret."""
    error.args = tuple(_redact_value(arg, redact) for arg in error.args)
    for name, value in list(vars(error).items()):
        if isinstance(value, str):
            setattr(error, name, redact(value))
    seen = {id(error)}
    link = error
    while True:
        for attribute in ("__cause__", "__context__"):
            inner = getattr(link, attribute)
            if inner is not None and id(inner) not in seen:
                setattr(link, attribute, _clean_link(inner, redact))
        following = link.__cause__ or link.__context__
        if following is None or id(following) in seen:
            return
        seen.add(id(following))
        link = following


class _RedactRecords(logging.Filter):
    """Redacts a record logged while one of our attempts runs (in its context)."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact = ACTIVE.get()
        if redact is None:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken record: the handler reports it, not the request
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


#: The loggers of the HTTP libraries that log what a server sent (httpcore's response headers
#: and errors at DEBUG, httpx's status line at INFO).
_LIBRARY_LOGGERS = (
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)
_installed = False


def install_log_filter() -> None:
    """Put the redacting filter on the HTTP libraries' loggers (once per process). It acts
    only on records logged inside one of our attempts."""
    global _installed
    if _installed:
        return
    record_filter = _RedactRecords()
    for name in _LIBRARY_LOGGERS:
        logging.getLogger(name).addFilter(record_filter)
    _installed = True
