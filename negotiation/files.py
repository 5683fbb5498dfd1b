"""Reading a user's text file (a scenario, a study) with one clear error for every way
it can fail: not UTF-8, unreadable, too large."""

from __future__ import annotations

from pathlib import Path


def read_utf8(path: Path, what: str, error: type[Exception], max_bytes: int) -> str:
    """The text of ``path``, or ``error`` naming the file and why it cannot be used.

    ``what`` names the kind of file in the message ("scenario", "study").
    """
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise error(f"{path}: {size:,} bytes; a {what} file may have at most {max_bytes:,}")
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise error(
            f"{path}: not UTF-8 text (byte {exc.start}); save the {what} as UTF-8"
        ) from None
    except OSError as exc:
        raise error(f"{path}: cannot be read: {exc.strerror or exc}") from None
