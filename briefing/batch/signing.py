"""Sign what a build keeps for itself (freshness records, cached charts) with a key that lives
outside the workspace, so files committed to the workspace cannot pass for the build's own.

The key is `BRIEFING_SIGNING_KEY` when set (share it between CI runs, as a secret, to keep
their records valid), else a random key made once in the user's cache folder
(`$XDG_CACHE_HOME/briefing/signing-key`, or `~/.cache/…`). Where neither can be had, a key
for this process alone: nothing from an earlier build is trusted, everything is rebuilt.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import stat
import tempfile
from functools import lru_cache
from pathlib import Path

log = logging.getLogger(__name__)

KEY_VARIABLE = "BRIEFING_SIGNING_KEY"
KEY_FILE = "signing-key"


def sign(key: bytes, *parts: str) -> str:
    """An HMAC-SHA256 of the parts (joined unambiguously), as hex."""
    message = "\0".join(f"{len(part)}:{part}" for part in parts).encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def verify(key: bytes, signature: object, *parts: str) -> bool:
    return isinstance(signature, str) and hmac.compare_digest(signature, sign(key, *parts))


@lru_cache(maxsize=4)
def signing_key(workspace: Path) -> bytes:
    """The key for this user and machine; never one stored inside the workspace."""
    given = os.environ.get(KEY_VARIABLE, "")
    if given:
        return hashlib.sha256(b"briefing signing key\0" + given.encode("utf-8")).digest()
    folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "briefing"
    try:
        if Path(os.path.realpath(folder)).is_relative_to(os.path.realpath(workspace)):
            raise OSError("the key folder lies inside the workspace")
        return _stored_key(folder)
    except (OSError, RuntimeError) as error:  # no home, read-only, or inside the workspace
        log.debug("no lasting signing key (%s): outputs from earlier builds are not trusted",
                  error)
        return secrets.token_bytes(32)


def _stored_key(folder: Path) -> bytes:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / KEY_FILE
    if not os.path.lexists(path):
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{KEY_FILE}.")
        try:
            with os.fdopen(handle, "w") as stream:  # mkstemp makes it 0600
                stream.write(secrets.token_hex(32) + "\n")
            try:
                os.link(temporary, path)  # never replaces a key another build just made
            except FileExistsError:
                pass
        finally:
            os.unlink(temporary)
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    with open(os.open(path, flags), "rb") as stream:
        status = os.fstat(stream.fileno())
        if not stat.S_ISREG(status.st_mode) or (hasattr(os, "getuid")
                                                and status.st_uid != os.getuid()):
            raise OSError(f"{path} is not a regular file of this user")
        text = stream.read(200).strip()
    if len(text) < 32:
        raise OSError(f"{path} holds no key")
    return hashlib.sha256(b"briefing signing key\0" + text).digest()
