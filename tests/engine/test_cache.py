import json
import os
import pickle
import subprocess
import sys

import attrs
import pytest

from hrouter.engine import cache, pickle_cache
from hrouter.engine.artifact import Artifact
from hrouter.engine.artifact_io import artifact_to_json, write_artifact
from hrouter.engine.cache import RulesLoadError, load_any, load_rules
from hrouter.engine.router import ModelRouter


def test_first_load_compiles_then_the_cache_serves(rules_dir, monkeypatch):
    first = load_rules(rules_dir)
    assert cache.cache_file(rules_dir).is_file()

    def no_compiler(path):
        raise AssertionError("the compiler must not run on a fresh cache")

    monkeypatch.setattr(cache, "compile_rules", no_compiler)
    assert load_rules(rules_dir) == first


def test_a_changed_source_is_recompiled(rules_dir):
    before = load_rules(rules_dir)
    (rules_dir / "more.rules").write_text("feature rewrite = words(rewrite, rephrase, reword)\n")
    after = load_rules(rules_dir)
    assert after.source_hash != before.source_hash
    assert ModelRouter.from_config(rules=rules_dir).route_fast("reword this") == "fast_local"


def test_a_damaged_cache_is_replaced(rules_dir):
    good = load_rules(rules_dir)
    cache.cache_file(rules_dir).write_bytes(b"\x80\x05garbage")
    assert load_rules(rules_dir) == good


def test_unwritable_cache_dir_still_works(rules_dir, tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("HROUTER_CACHE_DIR", str(blocker / "cache"))
    assert load_rules(rules_dir).targets[0] == "simple"


def test_rules_errors_are_one_clear_message(tmp_path):
    d = tmp_path / "bad"
    d.mkdir()
    (d / "main.rules").write_text("feature = oops\n")
    with pytest.raises(RulesLoadError, match=r"main.rules:1:\d+"):
        load_rules(d)
    with pytest.raises(RulesLoadError, match="no such rules"):
        load_any(tmp_path / "nothing")


def test_artifact_files_fresh_stale_and_damaged(rules_dir, tmp_path):
    artifact = load_rules(rules_dir)
    beside = rules_dir / "artifact.json"
    write_artifact(artifact, beside)
    assert load_any(beside) == artifact
    (rules_dir / "more.rules").write_text("feature rewrite = words(rewrite)\n")
    with pytest.raises(RulesLoadError, match="stale artifact: more.rules changed"):
        load_any(beside)
    (tmp_path / "other").mkdir()
    elsewhere = tmp_path / "other" / "elsewhere.json"
    write_artifact(artifact, elsewhere)  # sources not findable: accepted as is
    assert load_any(elsewhere) == artifact
    data = json.loads(artifact_to_json(artifact))
    data["patterns"][0]["regex"] = 7
    elsewhere.write_text(json.dumps(data))
    with pytest.raises(RulesLoadError, match="damaged artifact"):
        load_any(elsewhere)
    data["format_version"] = 99
    elsewhere.write_text(json.dumps(data))
    with pytest.raises(RulesLoadError, match="format 99"):
        load_any(elsewhere)


def test_cache_unpickler_admits_only_model_classes(tmp_path):
    evil = tmp_path / "evil.pickle"
    from collections import OrderedDict

    evil.write_bytes(pickle.dumps(OrderedDict(a=1)))  # another module's class
    assert pickle_cache.load(evil, "hrouter.engine.artifact", Artifact) is None

    class Boom:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    evil.write_bytes(pickle.dumps(Boom()))
    assert pickle_cache.load(evil, "hrouter.engine.artifact", Artifact) is None


def test_warm_decide_imports_no_compiler_proxy_yaml_or_cattrs(rules_dir):
    env = dict(os.environ)
    code = (
        "import sys, io, contextlib\n"
        "from hrouter.cli.main import main\n"
        f"argv = ['decide', '--rules', {str(rules_dir)!r}, 'drop the production database']\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        "    rc = main(argv)\n"
        "assert rc == 0 and 'human_confirm' in out.getvalue(), out.getvalue()\n"
        "heavy = ['lark', 'starlette', 'httpx', 'uvicorn', 'yaml', 'cattrs', 'hrouter.compiler',\n"
        "         'hashlib', 'shutil', 'json', 'pickle']  # each costs a one-prompt process milliseconds\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    cold = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert cold.returncode == 0, cold.stderr
    assert "lark" in cold.stdout  # the first run compiles
    warm = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert warm.returncode == 0, warm.stderr
    assert warm.stdout.strip() == "[]"


def test_cache_names_follow_the_model_layout(rules_dir, monkeypatch):
    before = cache.cache_file(rules_dir)
    monkeypatch.setattr(pickle_cache, "layout", lambda module: "another layout")
    assert cache.cache_file(rules_dir) != before


def test_an_edited_compiler_gets_a_new_cache_entry(rules_dir, monkeypatch):
    before = cache.cache_file(rules_dir)
    monkeypatch.setattr(cache, "compiler_fingerprint", lambda: "another compiler")
    assert cache.cache_file(rules_dir) != before


def test_the_compiler_fingerprint_lists_its_sources_without_importing_it():
    code = (
        "import sys; from hrouter.engine import cache; fp = cache.compiler_fingerprint();"
        "assert 'grammar.lark' in fp and 'compile.py' in fp and 'common_words.txt' in fp, fp;"
        "assert 'hrouter.compiler' not in sys.modules and 'lark' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_cached_router_artifact_leaves_the_expect_lines_out(rules_dir):
    from hrouter.compiler import compile_rules

    first = cache.load_rules(rules_dir)  # compiles, stores
    again = cache.load_rules(rules_dir)  # from the cache
    full = compile_rules(rules_dir, check_expects=False)
    assert full.expects and first.expects == () and again.expects == ()
    assert attrs.evolve(full, expects=()) == first == again


def _without_safety(artifact):
    return attrs.evolve(artifact, rules=tuple(r for r in artifact.rules if r.kind != "safety"))


def test_a_swapped_cache_is_never_served(rules_dir):
    good = load_rules(rules_dir)
    path = cache.cache_file(rules_dir)
    assert any(r.kind == "safety" for r in good.rules)
    # whoever can write the folder swaps in the same artifact without its safety rules
    path.write_bytes(pickle.dumps(_without_safety(good)))
    assert load_rules(rules_dir) == good
    # a sealed file edited afterwards fails its seal too
    sealed = bytearray(path.read_bytes())
    sealed[-5] ^= 1
    path.write_bytes(bytes(sealed))
    assert pickle_cache.load(path, "hrouter.engine.artifact", Artifact) is None
    assert load_rules(rules_dir) == good


def test_the_seal_key_is_per_folder_and_private(rules_dir, tmp_path, monkeypatch):
    good = load_rules(rules_dir)
    path = cache.cache_file(rules_dir)
    key = path.parent / "seal.key"
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    # a file sealed under another folder's key (copied from elsewhere) is refused
    other = tmp_path / "other-cache"
    monkeypatch.setenv("HROUTER_CACHE_DIR", str(other))
    pickle_cache.store(other / path.name, _without_safety(good))
    path.write_bytes((other / path.name).read_bytes())
    monkeypatch.undo()
    assert pickle_cache.load(path, "hrouter.engine.artifact", Artifact) is None
    # a key others can read seals nothing
    key.chmod(0o644)
    assert pickle_cache.load(path, "hrouter.engine.artifact", Artifact) is None


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="no owners and modes on this system")
def test_a_folder_others_can_write_is_not_used(rules_dir, tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    monkeypatch.setenv("HROUTER_CACHE_DIR", str(shared))
    assert load_rules(rules_dir).targets[0] == "simple"  # compiled, served
    assert not any(shared.iterdir())  # and nothing left for others to swap


def test_the_unpickler_still_admits_only_model_classes_behind_a_valid_seal(tmp_path, monkeypatch):
    from collections import OrderedDict

    monkeypatch.setenv("HROUTER_CACHE_DIR", str(tmp_path))
    path = tmp_path / "x.pickle"
    pickle_cache.store(path, OrderedDict(a=1))
    assert path.read_bytes().startswith(b"hrouter-sealed-1")
    assert pickle_cache.load(path, "hrouter.engine.artifact", Artifact) is None
