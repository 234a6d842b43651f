"""Turn the bytes of a YAML file into plain Python data plus the line of every key and value.

PyYAML's own loaders silently keep the last of two duplicate keys, construct any tag they
know and report nothing about where a value came from. This module composes the node tree
with the safe loader and builds the data itself, so it can refuse duplicate keys and
non-standard tags, bound size, depth and alias expansion, and remember positions for
error messages. The limits on what a meeting may ask for (here and in the modules that
check charts, CSV files, `follows` chains and Markdown) are defined here, in one place.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from briefing.errors import Diagnostic, InputError, shortened
from briefing.files import FileRead, FileTooLarge, NotRegularFile, OutsideFolder, read_file

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 32
MAX_NODES = 200_000  # counts every node visited, so alias expansion ("billion laughs") is bounded
# All the text of a meeting file, aliases expanded: about 300 pages of prose. Rendering time
# grows with the text, so a small file must not repeat a long summary by aliases.
MAX_TEXT_CHARS = 1_000_000
# Limits on what one meeting may ask the renderer for, checked (with a line) by `check`:
MAX_CATEGORIES = 500  # categories of one chart: attendance groups, themes, `categories`, CSV rows
MAX_SERIES = 10  # series of one chart (bars per category, lines): `series` keys, CSV columns
MAX_FOLLOWS = 100  # meetings in one `follows` chain, this one included
MAX_MARKDOWN_NESTING = 20  # Markdown emphasis, links, lists and quotes inside one another

Location = tuple[int, int]  # 1-based line and column
KeyPath = tuple[Any, ...]  # ("themes", 0, "title")

# A date as the format writes it (YYYY-MM-DD), in the digits 0 to 9 only.
ISO_DATE = re.compile(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")  # \Z: no line break after it
# Control characters (other than tab and line breaks) that YAML escapes such as "\e" or
# "\x1b" can still put into text: they print as nothing and break the PDF's text layer.
CONTROL_CHARACTER = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
# Half of a UTF-16 pair, which YAML's "\ud800" escape can write: not a character, so it
# cannot be written into a PDF (a pair written as two escapes is two halves, never joined).
_SURROGATE = re.compile("[\ud800-\udfff]")
_STANDARD_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"


# Python will not print a number of over 4,300 digits, which a short line of hexadecimal or
# base 60 can reach: one of over 13,000 bits (about 3,900 digits) is refused at the number.
_MOST_BITS = 13_000
_TOO_MANY_DIGITS = "more than any count or figure needs; check it"


def _about_digits(value: int) -> int:
    """How many decimal digits a number has, from its bits (str() would refuse a long one)."""
    return round(value.bit_length() * math.log10(2))


class _TooDeep(Exception):
    def __init__(self, mark: yaml.Mark) -> None:
        super().__init__()
        self.mark = mark


class _DepthLimit:
    """Stop composing at the first node nested deeper than MAX_DEPTH.

    PyYAML composes nodes recursively, so a line of 5,000 `[` would otherwise run into
    Python's recursion limit (slowly, and with no line number); this stops after MAX_DEPTH
    levels, pointing at the node that went too deep.
    """

    _depth = 0

    def compose_node(self, parent, index):  # noqa: ANN001, ANN201 - PyYAML's signature
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH + 1:  # the root is level 0
                raise _TooDeep(self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _DepthLimitedLoader(_DepthLimit, yaml.SafeLoader):
    """The safe loader, all in Python: its error messages are the ones users see."""

    def scan_flow_scalar_non_spaces(self, double, start_mark):  # noqa: ANN001, ANN201
        """PyYAML's, refusing as libyaml does a double-quoted escape such as "\\U80001000"
        whose number is beyond Unicode (PyYAML hands it to chr(), which raises)."""
        try:
            return super().scan_flow_scalar_non_spaces(double, start_mark)
        except (ValueError, OverflowError):  # the reader is on the escape's digits
            letter = self.buffer[self.pointer - 1]
            if letter not in self.ESCAPE_CODES:
                raise
            escape = "\\" + letter + self.prefix(self.ESCAPE_CODES[letter])
            mark = self.get_mark()
            mark.index, mark.column, mark.pointer = (mark.index - 2, mark.column - 2,
                                                     mark.pointer - 2)
            raise yaml.scanner.ScannerError(
                None, None, f"the escape {escape} names no character (Unicode ends at "
                "\\U0010FFFF); write the character itself, or correct the escape's number",
                mark) from None


try:
    from yaml.composer import Composer
    from yaml.constructor import SafeConstructor
    from yaml.cyaml import CParser
    from yaml.resolver import Resolver

    class _FastDepthLimitedLoader(_DepthLimit, Composer, CParser, SafeConstructor, Resolver):
        """libyaml's parser under the same Python composer: the same nodes and marks, about
        six times faster (a no-op build of 20 meetings spent most of its time parsing).
        Composing stays in Python, so the depth limit holds; libyaml never recurses."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            Composer.__init__(self)
except ImportError:  # PyYAML built without libyaml
    _FastDepthLimitedLoader = None


def _compose(text: str) -> yaml.Node | None:
    """The node tree, parsed by libyaml when present. A file libyaml refuses is parsed again
    in Python, so that every error is reported with PyYAML's own (tested) wording."""
    # libyaml reads a byte-order mark inside the text as a space where Python refuses it:
    # such a text is parsed in Python, so both parsers accept the same files.
    if _FastDepthLimitedLoader is not None and "\ufeff" not in text[1:]:
        try:
            return yaml.compose(text, Loader=_FastDepthLimitedLoader)
        except (yaml.YAMLError, _TooDeep):
            pass
    return yaml.compose(text, Loader=_DepthLimitedLoader)


@dataclass
class YamlDocument:
    """Plain data from one YAML file, and where each part of it was written."""

    path: Path
    data: Any
    key_lines: dict[KeyPath, Location] = field(default_factory=dict)
    value_lines: dict[KeyPath, Location] = field(default_factory=dict)
    problems: list[Diagnostic] = field(default_factory=list)  # e.g. duplicate keys; data kept
    file: FileRead | None = field(default=None, repr=False)  # the bytes parsed, when read

    def locate(self, key_path: KeyPath) -> Location:
        """The position of a key (or list item), falling back to its nearest parent."""
        path = tuple(key_path)
        while path:
            if path in self.key_lines:
                return self.key_lines[path]
            if path in self.value_lines:
                return self.value_lines[path]
            path = path[:-1]
        return self.value_lines.get((), (1, 1))

    def locate_value(self, key_path: KeyPath) -> Location:
        """The position of a value itself, for messages about what was written there."""
        path = tuple(key_path)
        if path in self.value_lines:
            return self.value_lines[path]
        return self.locate(path)


def _mark(node: yaml.Node) -> Location:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


MEETING_SUFFIXES = (".yaml", ".yml")


def read_yaml(path: Path, display_path: str | None = None, *,
              read: Callable[..., FileRead] = read_file,
              inside: Path | None = None) -> YamlDocument:
    """Read and parse one YAML file; every problem becomes an InputError naming the line.

    With `inside`, the file's real path must lie in that folder. Its real path must end in
    .yaml or .yml too: a link to any other file is refused unread, so no message ever quotes
    a file that is not a meeting file.
    """
    shown = display_path or str(path)
    try:
        file = read(path, MAX_FILE_BYTES, inside=inside)
    except OutsideFolder:
        raise InputError.at(shown, 0, "leads outside the workspace (by `..` or a symbolic "
                                      "link), so it is not read; meeting files must be inside "
                                      "the workspace") from None
    except FileNotFoundError:
        raise InputError.at(shown, 0, "file not found") from None
    except IsADirectoryError:
        raise InputError.at(shown, 0, "is a folder, not a meeting file") from None
    except NotRegularFile:
        raise InputError.at(shown, 0, "is not a regular file (a pipe, device or socket); "
                                      "name a saved meeting file") from None
    except FileTooLarge as error:
        raise InputError.at(
            shown, 0,
            f"file is {error.size:,} bytes; the limit is {MAX_FILE_BYTES:,} bytes (5 MB). "
            "Move large tables into CSV data files.") from None
    except OSError as error:
        raise InputError.at(shown, 0, f"cannot read the file: {error.strerror}") from None
    if (Path(path).suffix.lower() in MEETING_SUFFIXES
            and file.path.suffix.lower() not in MEETING_SUFFIXES):
        raise InputError.at(shown, 0, "is a symbolic link to a file that is not a .yaml "
                                      "meeting file, so it is not read")
    document = parse_yaml(file.data, path, shown)
    document.file = file
    return document


def parse_yaml(raw: bytes, path: Path, shown: str) -> YamlDocument:
    if len(raw) > MAX_FILE_BYTES:
        raise InputError.at(
            shown, 0,
            f"file is {len(raw):,} bytes; the limit is {MAX_FILE_BYTES:,} bytes (5 MB). "
            "Move large tables into CSV data files.")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        raise InputError.at(
            shown, line,
            f"the file is not UTF-8 (byte 0x{raw[error.start]:02x}); "
            "save it as UTF-8 in your editor", column) from None
    if "\t" in text and (tab := re.search(r"^ *\t", text, re.MULTILINE)):
        line = text[: tab.start()].count("\n") + 1
        raise InputError.at(shown, line, "indent with spaces, not tabs (YAML forbids tabs); "
                                         "replace the tab with spaces", tab.end() - tab.start())
    try:
        root = _compose(text)
    except _TooDeep as error:
        raise InputError.at(
            shown, error.mark.line + 1,
            f"nested too deeply (the limit is {MAX_DEPTH} levels); meeting files need "
            "only a few", error.mark.column + 1) from None
    except yaml.MarkedYAMLError as error:
        from briefing.meeting.yamlslips import explain

        line, column, message = explain(text, error)
        raise InputError.at(shown, line, message, column) from None
    except yaml.reader.ReaderError as error:  # a control character: no mark, but a position
        line = text.count("\n", 0, error.position) + 1
        column = error.position - (text.rfind("\n", 0, error.position) + 1) + 1
        raise InputError.at(
            shown, line, f"the character U+{error.character:04X} is not allowed in YAML; "
            "delete it (it often comes from copying text out of another program)",
            column) from None
    except yaml.YAMLError as error:
        raise InputError.at(shown, 0, f"YAML syntax error: {error}") from None
    except RecursionError:
        raise InputError.at(
            shown, 0, f"the YAML is nested too deeply (the limit is {MAX_DEPTH} levels)") from None
    if root is None:
        raise InputError.at(shown, 1, "the file is empty; a meeting file needs at least a "
                                      "`meeting:` section (run `briefing new` for a starter)")
    builder = _Builder(shown)
    data = builder.build(root, (), 0)
    if not isinstance(data, dict):
        line, column = _mark(root)
        raise InputError.at(shown, line, "the top level must be a mapping of keys such as "
                                         f"`meeting:`, found {describe(data)}", column)
    return YamlDocument(path, data, builder.key_lines, builder.value_lines, builder.diagnostics)


class _Builder:
    """Walk composed YAML nodes into dicts, lists and scalars, recording positions."""

    def __init__(self, shown: str) -> None:
        self.shown = shown
        self.key_lines: dict[KeyPath, Location] = {}
        self.value_lines: dict[KeyPath, Location] = {}
        self.diagnostics: list[Diagnostic] = []
        self.nodes_visited = 0
        self.text_chars = 0  # characters of text built so far, each alias use counted again
        self._constructor = yaml.SafeLoader("")

    def error(self, node: yaml.Node, message: str) -> None:
        line, column = _mark(node)
        self.diagnostics.append(Diagnostic(self.shown, line, column, message))

    def build(self, node: yaml.Node, path: KeyPath, depth: int) -> Any:
        self.nodes_visited += 1
        if self.nodes_visited > MAX_NODES:
            if self.nodes_visited == MAX_NODES + 1:
                self.error(node, f"the file expands to more than {MAX_NODES:,} values "
                                 "(too many aliases?); write the values out instead")
            return None
        if depth > MAX_DEPTH:
            self.error(node, f"nested too deeply (the limit is {MAX_DEPTH} levels)")
            return None
        self.value_lines.setdefault(path, _mark(node))
        if isinstance(node, yaml.MappingNode):
            if node.tag != _MAP_TAG:
                self.error(node, f"the tag `{node.tag}` is not allowed; remove it")
                return None
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ_TAG:
                self.error(node, f"the tag `{node.tag}` is not allowed; remove it")
                return None
            return [self.build(item, (*path, index), depth + 1)
                    for index, item in enumerate(node.value)]
        return self._counted(self._scalar(node), path)

    def _counted(self, value: Any, path: KeyPath) -> Any:
        """The value, unless the text so far (aliases repeated) goes over MAX_TEXT_CHARS:
        then the file is refused at once, at the key that went over (for an alias, where
        it is used), before anything reads the text."""
        if isinstance(value, str):
            self.text_chars += len(value)
            if self.text_chars > MAX_TEXT_CHARS:
                line, column = self._nearest_key(path)
                raise InputError.at(
                    self.shown, line,
                    f"the file's text adds up to more than {MAX_TEXT_CHARS:,} characters here "
                    "(aliases such as `*name` count each time they are used); a meeting file "
                    "needs far less: shorten it or move long documents out of it", column)
        return value

    def _nearest_key(self, path: KeyPath) -> Location:
        while path:
            if path in self.key_lines:
                return self.key_lines[path]
            path = path[:-1]
        return self.value_lines.get((), (1, 1))

    def _mapping(self, node: yaml.MappingNode, path: KeyPath, depth: int) -> dict:
        result: dict = {}
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                self.error(key_node, "merge keys (`<<`) are not supported; write the keys out")
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.error(key_node, "a key must be plain text")
                continue
            found = len(self.diagnostics)
            key = self._scalar(key_node)
            if isinstance(key, (list, dict)) or key is None:
                if len(self.diagnostics) == found:  # not already said why (a number too long)
                    self.error(key_node, "a key must be plain text")
                continue
            key = key if isinstance(key, str) else str(key)
            if key in seen:
                self.error(key_node, f"duplicate key `{key}` (first written on line {seen[key]}); "
                                     "YAML would silently keep only the last one: merge them"
                                     + ("; if it starts another item of the list, begin it "
                                        "with `- `" if path and isinstance(path[-1], int) else ""))
                continue
            seen[key] = key_node.start_mark.line + 1
            child = (*path, key)
            self.key_lines[child] = _mark(key_node)
            result[key] = self.build(value_node, child, depth + 1)
        return result

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag not in _STANDARD_SCALAR_TAGS:
            self.error(node, f"the tag `{node.tag}` is not allowed; remove it "
                             "(meeting files hold plain text, numbers and dates only)")
            return None
        if node.tag == "tag:yaml.org,2002:timestamp" and not ISO_DATE.match(node.value):
            return node.value  # a time or an unpadded date stays text, so it fails as "not ISO"
        try:
            value = self._constructor.construct_object(node)
        except (yaml.YAMLError, ValueError, OverflowError) as error:
            if node.tag == "tag:yaml.org,2002:timestamp" and isinstance(error, ValueError):
                return node.value  # 2025-02-30 stays text: the validator names its key
            if "integer string conversion" in str(error):  # Python's limit of 4,300 digits
                digits = sum(character.isdigit() for character in node.value)
                self.error(node, f"this number has {digits:,} digits, {_TOO_MANY_DIGITS}")
                return None
            self.error(node, f"cannot read this value: {error}")
            return None
        if isinstance(value, int) and value.bit_length() > _MOST_BITS:
            # Written in hexadecimal, say: Python would refuse to print it (over 4,300 digits)
            self.error(node, f"this number has about {_about_digits(value):,} digits, "
                             f"{_TOO_MANY_DIGITS}")
            return None
        if isinstance(value, str) and (control := CONTROL_CHARACTER.search(value)):
            self.error(node, f"the text contains the control character "
                             f"U+{ord(control.group()):04X}, which cannot be printed; remove it")
            return None
        if isinstance(value, str) and (half := _SURROGATE.search(value)):
            self.error(node, f"the text contains U+{ord(half.group()):04X}, half of a UTF-16 "
                             "surrogate pair, which is not a character and cannot be printed; "
                             "write the character itself, or escape it whole as \\U0001F600 "
                             "rather than \\ud83d\\ude00")
            return None
        return value


def describe(value: Any) -> str:
    """Say what a user wrote, for `expected …, found …` messages."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"`{str(value).lower()}` (true/false)"
    if isinstance(value, int) and value.bit_length() > _MOST_BITS:  # str() would refuse it
        return f"a number of about {_about_digits(value):,} digits"
    if isinstance(value, (int, float)):
        text = str(value)
        return f"the number {shortened(text, 40)}"
    if isinstance(value, str):
        return f"the text {shortened(value, 40)!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping of keys"
    return type(value).__name__
