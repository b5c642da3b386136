"""Files and includes: relative paths, splice order, each file once, cycles, hashes."""

from __future__ import annotations

import hashlib

import pytest

from hrouter.compiler import RulesError
from hrouter.compiler.compile import compile_rules
from hrouter.compiler.loader import load, source_hash

MAIN = """\
targets balanced, coding, confirmation
include "features.rules"
include "sub/routes.rules"
include "features.rules"
default -> balanced
"""
FEATURES = "feature code_words = words(code)\nfeature wipe = words(wipe)\n"
ROUTES = 'include "../more.rules"\nroute coding: code_words -> coding\n'
MORE = "safety wipe: wipe -> confirmation\n"


@pytest.fixture
def folder(write_rules):
    return write_rules(MAIN, **{"features.rules": FEATURES, "sub__routes.rules": ROUTES, "more.rules": MORE})


def test_includes_are_relative_spliced_in_order_and_read_once(folder):
    a = compile_rules(folder, check_expects=False)
    assert [s.path for s in a.sources] == ["main.rules", "features.rules", "sub/routes.rules", "more.rules"]
    assert [r.id for r in a.rules] == ["wipe", "coding", "default"]
    assert a.rules[1].loc.file == "sub/routes.rules"
    assert a.rules[0].loc.file == "more.rules"


def test_hashes(folder):
    a = compile_rules(folder, check_expects=False)
    for s in a.sources:
        assert s.sha256 == hashlib.sha256((folder / s.path).read_bytes()).hexdigest()
    expected = hashlib.sha256("".join(f"{s.sha256}  {s.path}\n" for s in a.sources).encode()).hexdigest()
    assert a.source_hash == expected == source_hash([(s.path, s.sha256) for s in a.sources])
    (folder / "more.rules").write_text(MORE + "# changed\n")
    assert compile_rules(folder, check_expects=False).source_hash != a.source_hash


def test_artifact_does_not_depend_on_where_the_rules_live(folder, tmp_path_factory):
    import shutil

    from hrouter.engine.artifact_io import artifact_to_json

    other = tmp_path_factory.mktemp("elsewhere") / "copy"
    shutil.copytree(folder, other)
    assert artifact_to_json(compile_rules(other, check_expects=False)) == artifact_to_json(compile_rules(folder, check_expects=False))


def test_single_file_entry(write_rules):
    folder = write_rules("", **{"one.rules": "targets a\ndefault -> a\n"})
    a = compile_rules(folder / "one.rules", check_expects=False)
    assert [s.path for s in a.sources] == ["one.rules"]


def test_include_cycle_is_reported_with_its_path(write_rules):
    folder = write_rules(
        'targets a\ninclude "x.rules"\ndefault -> a\n',
        **{"x.rules": 'include "y.rules"\n', "y.rules": 'include "main.rules"\n'},
    )
    with pytest.raises(RulesError) as info:
        compile_rules(folder)
    (d,) = info.value.diagnostics
    assert d.code == "include-cycle"
    assert d.message == "include cycle: main.rules -> x.rules -> y.rules -> main.rules"
    assert d.location.file.endswith("y.rules") and d.location.line == 1


def test_missing_include_and_syntax_errors_in_several_files(write_rules):
    folder = write_rules(
        'targets a\ninclude "gone.rules"\ninclude "bad.rules"\ndefault -> a\n',
        **{"bad.rules": "feature = words(x)\n"},
    )
    with pytest.raises(RulesError) as info:
        compile_rules(folder)
    codes = [(d.code, d.location.file.rsplit("/", 1)[-1], d.location.line) for d in info.value.diagnostics]
    assert ("missing-file", "main.rules", 2) in codes
    assert ("syntax", "bad.rules", 1) in codes
    assert "cannot include 'gone.rules'" in str(info.value)


def test_missing_entry_file(tmp_path):
    with pytest.raises(RulesError) as info:
        compile_rules(tmp_path)
    assert str(info.value) == f"{tmp_path}: the rules folder has no entry file main.rules"


def test_file_that_is_not_utf8(write_rules):
    folder = write_rules('targets a\ninclude "latin1.rules"\ndefault -> a\n')
    (folder / "latin1.rules").write_bytes("feature x = words(caf\xe9)\n".encode("latin-1"))
    with pytest.raises(RulesError) as info:
        compile_rules(folder)
    assert "cannot include 'latin1.rules'" in str(info.value)


def test_display_paths_use_the_given_root(write_rules):
    folder = write_rules("targets a\nroute r: nope -> a\ndefault -> a\n")
    result = load(folder)
    assert result.files[0].display == str(folder / "main.rules")
