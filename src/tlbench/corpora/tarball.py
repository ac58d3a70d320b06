"""Reading documents straight out of a tarball, without extracting it.

Nothing is ever written to disk: members are streamed in archive order, so a hostile archive (absolute names,
``..`` components, links, devices) cannot place files anywhere. Such members are skipped, as is everything that is
not a regular file.
"""

from __future__ import annotations

import tarfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

from tlbench.corpora.reading import MAX_BYTES
from tlbench.errors import DataError


def safe_member_name(name: str) -> tuple[str, ...] | None:
    """The parts of the member's relative path, or None when it is absolute or climbs out with ``..``."""
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
        return None  # absolute (POSIX, Windows drive or UNC) or climbing out
    kept = tuple(p for p in parts if p not in ("", "."))
    return kept or None


def iter_members(
    archive: Path, wanted: Callable[[tuple[str, ...]], bool], *, corpus: str, max_bytes: int | None = MAX_BYTES
) -> Iterator[tuple[tuple[str, ...], bytes]]:
    """Yield ``(parts, content)`` for each regular-file member whose safe path ``parts`` ``wanted`` accepts.

    Content beyond ``max_bytes`` is not read (the default suits one-document members, which are capped anyway;
    pass None for members holding many documents). Any compression tarfile knows is accepted. A truncated or
    corrupt archive raises DataError, one line, naming the file.
    """
    try:
        with tarfile.open(archive, mode="r|*") as tar:
            for member in tar:
                if not member.isreg():
                    continue
                parts = safe_member_name(member.name)
                if parts is None or not wanted(parts):
                    continue
                handle = tar.extractfile(member)
                if handle is not None:
                    # read(n) with a large n allocates n bytes up front: ask for no more than the member has
                    yield parts, handle.read(member.size if max_bytes is None else min(member.size, max_bytes))
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(
            f"{corpus}: {archive} is truncated or corrupt ({reason}); download it again"
        ) from None
