"""Reaching a Ray cluster for the Ray executor: importing Ray, failing fast on an address nobody answers at,
token authentication, and one-line error texts."""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

from tlbench.errors import ConfigError, TlbenchError


def import_ray() -> Any:
    """The ``ray`` module; TlbenchError with the install hint when Ray is not installed."""
    try:
        import ray
    except ImportError:
        raise TlbenchError("the ray executor needs Ray, which is not installed: pip install 'tlbench[ray]' "
                           "(or run with --executor local)") from None
    return ray


def connect(ray: Any, address: str | None) -> bool:
    """Connect to the cluster at ``address`` unless a Ray session is open already; whether this call connected
    (then the caller disconnects at the end)."""
    if ray.is_initialized():
        return False
    check_reachable(address)
    agree_on_token_auth()
    try:
        ray.init(address=address, logging_level="WARNING")
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = address or "$RAY_ADDRESS / a new local cluster"
        raise TlbenchError(f"cannot start or reach the Ray cluster at {where}: {one_line(exc)}; start one "
                           "with `ray start --head`, check --address, and give a token-authenticated cluster's "
                           "token ($RAY_AUTH_TOKEN, $RAY_AUTH_TOKEN_PATH or ~/.ray/auth_token)") from None
    return True


def check_reachable(address: str | None, timeout_s: float = 5.0) -> None:
    """Fail fast on an explicit ``host:port`` / ``ray://host:port`` nobody listens at (``ray.init`` would keep
    retrying for minutes)."""
    if not address or address in ("auto", "local"):
        return
    where = address.removeprefix("ray://")
    host, sep, port = where.rpartition(":")
    if not sep or not port.isdigit():
        raise ConfigError(f"bad Ray address {address!r}: give auto, host:6379 or ray://host:10001")
    try:
        socket.create_connection((host.strip("[]") or "127.0.0.1", int(port)), timeout=timeout_s).close()
    except OSError as exc:
        raise TlbenchError(f"no Ray cluster answers at {address} ({exc.strerror or exc}); start one with "
                           "`ray start --head` (then --address auto) or check --address") from None


def agree_on_token_auth() -> None:
    """Use Ray's token authentication when a token is available, as ``ray start`` does.

    Since Ray 2.59 ``ray start --head`` turns token authentication on whenever a token exists (``$RAY_AUTH_TOKEN``,
    ``$RAY_AUTH_TOKEN_PATH`` or ``~/.ray/auth_token``), but a driver connecting to that cluster only does so when
    ``RAY_AUTH_MODE=token`` is set (Ray 2.60): without this it retries "Authentication token is missing" and
    fails. An explicit ``RAY_AUTH_MODE`` is respected; older Rays have no token authentication.
    """
    if os.environ.get("RAY_AUTH_MODE"):
        return
    try:
        from ray._private.authentication.authentication_token_setup import (
            maybe_enable_token_auth_if_token_available,
        )
    except ImportError:
        return
    quiet = logging.getLogger("ray._private.authentication.authentication_token_setup")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # Ray would warn that token authentication is on, which is the point
    try:
        maybe_enable_token_auth_if_token_available(warn_if_disabled=False)
    finally:
        quiet.setLevel(level)


def one_line(exc: BaseException) -> str:
    """``Type: message`` on one line (the task's own exception when Ray wrapped it), at most 500 characters."""
    cause = getattr(exc, "cause", None)
    if isinstance(cause, BaseException):
        exc = cause  # a RayTaskError wrapping the task's own exception: show that one
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}"[:500]
