"""Errors a user can act on. The CLI prints them as one line, never a traceback."""

from __future__ import annotations


class TlbenchError(Exception):
    """A problem with the user's input or environment; the message says what is wrong and what to do."""


class DataError(TlbenchError):
    """A corpus is missing, unreadable or unusable."""


class ConfigError(TlbenchError):
    """A study's configuration names something that does not exist or does not fit."""


class UnknownComponent(ConfigError):
    """A name that no plugin registered."""


class Incompatible(ConfigError):
    """A strategy needs a capability the system does not have (the runner skips such pairs and reports them)."""


class TlbenchWarning(UserWarning):
    """Something the user should know that did not stop the command (a damaged results line, a plugin that
    could not answer); the CLI shows it as one ``warning:`` line."""
