"""briefing.toml: the workspace's defaults, every mistake reported on its line, flags on top."""

from __future__ import annotations

import pytest

from briefing.config import load_config, parse_shard
from briefing.errors import BriefingError, InputError


def write_config(workspace, text):
    (workspace / "briefing.toml").write_text(text, encoding="utf-8")


def test_every_key_is_read_from_a_briefing_table(workspace):
    write_config(workspace, '[briefing]\ninputs = "meetings"\nlayouts = "designs"\n'
                            'output = "packs"\nbuild = ["pack", "brief"]\n'
                            'editions = ["public", "internal"]\npaper = "A5"\njobs = 3\n')
    config = load_config(workspace)
    assert config.inputs == workspace.resolve() / "meetings"
    assert config.layouts == workspace.resolve() / "designs"
    assert config.output == workspace.resolve() / "packs"
    assert config.build == ("pack", "brief")
    assert config.editions == ("public", "internal")
    assert (config.paper, config.jobs) == ("A5", 3)


def test_flat_keys_work_and_flags_override_only_when_given(workspace):
    write_config(workspace, 'editions = ["public"]\npaper = "letter"\njobs = 4\n')
    config = load_config(workspace, editions=(), paper=None, jobs=None, build=("pack",))
    assert (config.editions, config.paper, config.jobs) == (("public",), "letter", 4)
    config = load_config(workspace, editions=("councillor",), paper="A4", jobs=1)
    assert (config.editions, config.paper, config.jobs) == (("councillor",), "A4", 1)


def test_without_a_file_defaults_apply(workspace):
    config = load_config(workspace)
    assert config.output == workspace.resolve() / "output"
    assert config.build == ("pack",) and config.editions == ("internal",)
    assert config.jobs >= 1


def test_mistakes_are_all_reported_on_their_lines(workspace):
    write_config(workspace, '[briefing]\noutptu = "packs"\nbuild = "pack"\njobs = 0\n')
    with pytest.raises(InputError) as caught:
        load_config(workspace)
    messages = [str(d) for d in caught.value.diagnostics]
    assert any(m.endswith(":2: unknown setting `outptu`; did you mean `output`?")
               for m in messages), messages
    assert any(":3: `build` should be a list of text" in m for m in messages), messages
    assert any(":4: `jobs` should be a whole number of 1 or more" in m for m in messages)


@pytest.mark.parametrize(("text", "expected"), [
    ('jobs = "{long}"\n', "`jobs` should be a whole number of 1 or more, found 'zzzz zzzz"),
    ('paper = "{long}"\n', "unknown paper size `zzzz zzzz"),
])
def test_a_very_long_value_is_quoted_shortened(workspace, text, expected):
    """A value of 10,000 characters, spaces and all, is quoted by its start."""
    write_config(workspace, text.format(long="zzzz " * 2000))
    with pytest.raises(BriefingError) as caught:
        load_config(workspace)
    message = str(caught.value)
    assert expected in message and "…" in message
    assert len(message) < 300, len(message)


def test_invalid_toml_names_the_line(workspace):
    write_config(workspace, 'paper = "A4"\nbuild = [\n')
    with pytest.raises(InputError) as caught:
        load_config(workspace)
    assert "invalid TOML" in str(caught.value)


def test_unknown_edition_in_file_is_an_error(workspace):
    write_config(workspace, 'editions = ["secret"]\n')
    with pytest.raises(BriefingError, match="unknown edition `secret`"):
        load_config(workspace)


@pytest.mark.parametrize("text", ["3", "0/3", "4/3", "a/b", "1/0"])
def test_bad_shards_are_refused(workspace, text):
    with pytest.raises(BriefingError, match="shard"):
        load_config(workspace, shard=parse_shard(text))


def test_good_shard(workspace):
    assert load_config(workspace, shard=parse_shard("2/3")).shard == (2, 3)


# --- each setting declared once: the file's checks, the flags and the freshness hash -----------

def test_every_bytes_changing_setting_is_in_the_fingerprint(workspace):
    from briefing.config import SETTINGS

    base = load_config(workspace)
    other = {str: "Other text", bool: True}
    for item in SETTINGS.values():
        value = other.get(item.kind)
        if item.choices:  # another of its choices (a list of one, for a list)
            choice = next(c for c in item.choices if c not in (item.default, *item.default))
            value = (choice,) if item.kind is tuple else choice
        if value is None:  # a folder, list or number: none of them changes a PDF's bytes
            assert not item.changes_bytes, item.name
            continue
        changed = load_config(workspace, **{item.name: value})
        moved = changed.options_fingerprint() != base.options_fingerprint()
        assert moved == item.changes_bytes, item.name
    assert {"paper", "print_shop", "archive", "licence"} <= {
        name for name, item in SETTINGS.items() if item.changes_bytes}


def test_a_new_bytes_changing_setting_needs_no_fingerprint_code(workspace):
    from dataclasses import dataclass, replace

    from briefing.config import Config, setting, settings_of

    @dataclass(frozen=True)
    class Wider(Config):
        ink: str = setting("black", in_file=True, changes_bytes=True)
        chatty: bool = setting(False, flags=("--chatty",), help="Say more")

    config = load_config(workspace)
    wider = Wider(**{name: getattr(config, name) for name in config.__dataclass_fields__})
    assert "ink" in [item.name for item in settings_of(Wider)]
    assert "ink=black" in wider.options_fingerprint()
    assert (replace(wider, ink="blue").options_fingerprint()
            != wider.options_fingerprint())
    assert replace(wider, chatty=True).options_fingerprint() == wider.options_fingerprint()


def test_every_file_setting_is_checked_on_its_line(workspace):
    from briefing.config import SETTINGS

    keys = [name for name, item in SETTINGS.items() if item.in_file]
    write_config(workspace, "".join(f"{key} = {{}}\n" for key in keys))  # a table: never right
    with pytest.raises(InputError) as caught:
        load_config(workspace)
    lines = {d.line: d.message for d in caught.value.diagnostics}
    assert sorted(lines) == list(range(1, len(keys) + 1)), lines
    for line, key in enumerate(keys, start=1):
        assert lines[line].startswith(f"`{key}` should be "), lines[line]


def test_flags_that_settings_cannot_take_are_refused_in_the_file(workspace):
    write_config(workspace, "print_shop = true\n")
    with pytest.raises(InputError, match="1: unknown setting `print_shop`; known: inputs, "
                                         "layouts, output, cache, build, editions, paper, jobs, "
                                         "timeout, memory_mb, licence"):
        load_config(workspace)


def test_a_timeout_too_long_to_wait_for_is_refused_on_its_line(workspace):
    # The flag always stopped at 1e9 s; the file took 1e300, and the build then crashed.
    write_config(workspace, 'paper = "A4"\ntimeout = 1e300\n')
    with pytest.raises(InputError, match=r":2: `timeout = 1e\+300` is longer than a render "
                                         r"can be waited for; give at most 1000000000 "
                                         r"\(the default is 120\)"):
        load_config(workspace)
    write_config(workspace, "timeout = 1e9\n")
    assert load_config(workspace).timeout == 1e9


def test_an_unknown_setting_from_python_is_an_error_not_ignored(workspace):
    with pytest.raises(BriefingError, match="unknown setting `papr`; did you mean `paper`?"):
        load_config(workspace, papr="A5")


def test_the_flags_are_made_from_the_declarations():
    from click.testing import CliRunner

    from briefing.cli import main
    from briefing.config import SETTINGS

    offered = {"build": SETTINGS, "watch": ("build", "editions", "jobs"),
               "serve": ("build", "editions", "paper"), "check": ("strict",)}
    for command, names in offered.items():
        result = CliRunner().invoke(main, [command, "--help"], terminal_width=200)
        assert result.exit_code == 0, result.output
        for name in names:
            item = SETTINGS[name]
            if not item.flags:
                continue
            assert ", ".join(item.flags) in result.output, (command, name)
            if item.choices:
                assert f"[{'|'.join(item.choices).lower()}]" in result.output.lower()
            if item.in_file:
                assert f"default: `{name}` in briefing.toml, else {item.default_words()}" in \
                    " ".join(result.output.split()), (command, name)


def test_changing_paper_or_licence_rebuilds_through_the_cli(workspace):
    from conftest import minimal_meeting, run_cli, write_meeting

    write_meeting(workspace / "inputs", "m.yaml", minimal_meeting())
    steps = [([], "1 built"), ([], "1 up to date"), (["--paper", "A5"], "1 built"),
             (["--paper", "A5"], "1 up to date")]
    for args, said in steps:
        result = run_cli("build", "-l", "brief", "-e", "public", "-j", "1", *args, cwd=workspace)
        assert result.returncode == 0 and said in result.stderr, (args, result.stderr)
    write_config(workspace, 'licence = "Licensed under the Open Government Licence v3.0"\n')
    for said in ("1 built", "1 up to date"):
        result = run_cli("build", "-l", "brief", "-e", "public", "-j", "1", cwd=workspace)
        assert result.returncode == 0 and said in result.stderr, result.stderr
