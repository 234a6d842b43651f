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
