"""Running the ``on_request`` hook after a call, without letting it hold the call hostage.

* A sync hook is called, and an exception from it is logged (the call's result stands).
* An async hook is awaited without a shield, so cancelling the calling task cancels the hook
  too; and at most :data:`HOOK_TIMEOUT` seconds (the pipeline's ``hook_timeout``), after which
  it is cancelled and one warning is logged.
* For a call that was itself cancelled, the hook is still handed the event, but under a
  cancel scope that is already cancelled: what it does before its first wait runs (recording
  the event, putting it on a queue that has room), and its first wait ends it. Under asyncio's
  ``task.cancel()``, which is delivered once, the hook would otherwise run unbounded while the
  caller waits for the cancellation to finish.
"""

from __future__ import annotations

import inspect
import logging

import anyio

from .._config import RequestEvent, RequestHook

__all__ = ["HOOK_TIMEOUT", "run_hook"]

log = logging.getLogger("copytrade_async")

#: Seconds an async hook may take before it is abandoned.
HOOK_TIMEOUT = 1.0


async def run_hook(
    hook: RequestHook, event: RequestEvent, *, cancelled: bool, bound: float
) -> None:
    """Hand ``event`` to ``hook`` (see the module docs): ``bound`` is the seconds an async hook
    may take, ``cancelled`` says that the call itself was cancelled."""
    try:
        result = hook(event)
        if not inspect.isawaitable(result):
            return
        if cancelled:
            with anyio.CancelScope() as scope:
                scope.cancel()
                await result
            return
        with anyio.move_on_after(bound) as scope:
            await result
        if scope.cancelled_caught:
            log.warning(
                "the on_request hook for %s took longer than %gs and was abandoned",
                event.endpoint,
                bound,
            )
    except Exception:
        log.exception("the on_request hook failed for %s", event.endpoint)
