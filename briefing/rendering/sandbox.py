"""Read layout templates safely and run them in Jinja's immutable sandbox, with bounded arithmetic."""

from __future__ import annotations

import os
import stat
from pathlib import Path


class LayoutFileRefused(Exception):
    """A layout template that the loader will not read: a symlink, or not a regular file."""

    def __init__(self, path: Path, why: str) -> None:
        super().__init__(f"{path} {why}")
        self.path = path
        self.why = why


def read_layout_file(root: Path, pieces: list[str]) -> tuple[Path, str, float] | None:
    """The file `root/pieces…` if it exists: never through a symlink, only a regular file,
    so a template can never be read from outside its layout folder. None if it is absent."""
    path = root
    for index, piece in enumerate(pieces):
        path = path / piece
        try:
            status = os.lstat(path)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as error:
            raise LayoutFileRefused(path, f"cannot be read: {error.strerror}") from None
        if stat.S_ISLNK(status.st_mode):
            raise LayoutFileRefused(path, "is a symlink; layout files must be real files "
                                          "inside the layout folder")
        last = index == len(pieces) - 1
        if not last and not stat.S_ISDIR(status.st_mode):
            return None
    if not stat.S_ISREG(status.st_mode):
        raise LayoutFileRefused(path, "is not a regular file")
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as error:  # e.g. swapped for a symlink since it was looked at
        raise LayoutFileRefused(path, f"cannot be read: {error.strerror}") from None
    with os.fdopen(descriptor, "rb") as handle:
        opened = os.fstat(handle.fileno())
        if not stat.S_ISREG(opened.st_mode):
            raise LayoutFileRefused(path, "is not a regular file")
        data = handle.read()
    try:
        return path, data.decode("utf-8"), opened.st_mtime
    except UnicodeDecodeError as error:
        raise LayoutFileRefused(path, f"is not UTF-8 text (byte {error.start})") from None


def layout_loader_class():
    from jinja2 import BaseLoader, TemplateNotFound
    from jinja2.loaders import split_template_path

    class LayoutLoader(BaseLoader):
        """Templates from the layout roots only, first root first (see read_layout_file)."""

        def __init__(self, roots: list[Path], workspace: Path | None) -> None:
            self.roots = [Path(root) for root in roots]
            self.workspace = workspace

        def get_source(self, environment, template):
            pieces = split_template_path(template)  # refuses `..`
            if not pieces or any("\\" in piece or "\0" in piece for piece in pieces):
                raise TemplateNotFound(template)
            for root in self.roots:
                found = read_layout_file(root, pieces)
                if found is None:
                    continue
                path, source, mtime = found

                def unchanged(path: Path = path, mtime: float = mtime) -> bool:
                    try:
                        return path.lstat().st_mtime == mtime
                    except OSError:
                        return False

                return source, str(path), unchanged
            raise TemplateNotFound(template)

        def shown(self, filename: str | Path) -> str:
            """A template file as the user knows it: relative to the workspace if inside it."""
            path = Path(filename)
            if self.workspace is not None:
                try:
                    return str(path.relative_to(self.workspace))
                except ValueError:
                    pass
            return str(path)

    return LayoutLoader


class LayoutTooLarge(Exception):
    """Arithmetic in a layout whose result would hang the render or exhaust its memory."""


# A layout may not ask for more than this from `**` and `*`: without a bound, `{{ 9**9**9 }}`
# or `{{ "x" * 10**10 }}` would hang or exhaust memory (even while the template compiles).
_MOST_BITS = 100_000
_MOST_ITEMS = 10_000_000


def sandbox_class():
    import operator

    from jinja2.sandbox import ImmutableSandboxedEnvironment

    class LayoutEnvironment(ImmutableSandboxedEnvironment):
        """Jinja's immutable sandbox: no Python internals, no changing data in place, and no
        arithmetic that would hang or fill memory."""

        intercepted_binops = frozenset({"**", "*"})

        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.safe_attributes: dict[tuple[type, str], bool] = {}

        def is_safe_attribute(self, obj, attr, value) -> bool:
            # Jinja's answer depends only on the object's type and the attribute's name;
            # asking once per pair takes most of the sandbox's cost off a pack.
            key = (type(obj), attr)
            safe = self.safe_attributes.get(key)
            if safe is None:
                safe = self.safe_attributes[key] = super().is_safe_attribute(obj, attr, value)
            return safe

        def call_binop(self, context, op, left, right):
            if op == "**" and _is_int(left) and _is_int(right) and right > 0 \
                    and abs(left) > 1 and right * abs(left).bit_length() > _MOST_BITS:
                raise LayoutTooLarge(f"{left} ** {right} is too large a number for a layout")
            if op == "*":
                if _is_int(left) and _is_int(right) \
                        and abs(left).bit_length() + abs(right).bit_length() > _MOST_BITS:
                    raise LayoutTooLarge("multiplying these makes too large a number for a "
                                         "layout")
                for count, other in ((left, right), (right, left)):
                    if _is_int(count) and isinstance(other, (str, bytes, list, tuple)) \
                            and count * len(other) > _MOST_ITEMS:
                        raise LayoutTooLarge(f"repeating something {count} times makes too "
                                            "large a value for a layout")
            return {"**": operator.pow, "*": operator.mul}[op](left, right)

    return LayoutEnvironment


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
