"""Compile-time measurements for big word lists and for the word-list options.

    python -m benchmarks.compile_bench [--repeats 3] [--sizes 1000,20000,100000] [--pairwise]

- `lexicon`: one `words(...)` list of N generated words, compiled with `compile_rules` (an
  expect line included, so the engine loads the artifact too) and split by stage: parse,
  checks (with the option expansion), lowering. Two word shapes: "w17" (most words contain a
  shorter one, so the minimal literal clause is small) and "w17z" (no word contains another:
  every word is a literal, the case that used to be quadratic).
- `--pairwise` also times the former literal minimisation (every string against every kept
  one) on the "w17z" clause, for sizes up to 20,000, to show the quadratic step it replaced.
- `options`: a list of 100 risky English words plain, with `inflect`, with `typos` and with
  both: words in the list, literal strings in its pattern, the size of the regex, and the
  compile time of a small rule set around it.

Every figure is a median of `--repeats` cold runs (the parse cache and the inflection and typo
caches are cleared before each; the common-word list is loaded once per process, and its load
is reported on its own).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

RISKY_100 = (
    "delete remove erase purge destroy truncate cancel transfer publish deploy merge release "
    "schedule reschedule invite revoke rotate submit refund purchase order wire email message "
    "forward reply share upload uninstall format reset terminate unsubscribe approve charge "
    "drop wipe send post tweet book reserve renew subscribe grant sign close archive shred "
    "overwrite rename move migrate restart shutdown reboot disable enable expose leak export "
    "import install update upgrade downgrade rollback revert commit push force retract withdraw "
    "deposit invoice bill debit credit donate lend borrow sell trade short liquidate execute "
    "launch trigger broadcast announce notify contact text call dial ping obliterate decommission "
    "deprovision unpublish"
).split()


def _write(folder: Path, body: str) -> Path:
    (folder / "main.rules").write_text(
        "targets balanced, confirmation\n" + body + 'default -> balanced "ordinary"\nexpect "hello there" -> balanced\n',
        encoding="utf-8",
    )
    return folder


def _cold() -> None:
    from hrouter.compiler.inflect import verb_forms
    from hrouter.compiler.parser import _parse_cached
    from hrouter.compiler.typos import typo_candidates

    _parse_cached.cache_clear()
    verb_forms.cache_clear()
    typo_candidates.cache_clear()


def _median(fn, repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        _cold()
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _stages(folder: Path) -> dict[str, float]:
    from hrouter.compiler import compile as C
    from hrouter.compiler.check import run_checks
    from hrouter.compiler.expand import expand
    from hrouter.compiler.loader import load
    from hrouter.compiler.symbols import collect

    _cold()
    t0 = time.perf_counter()
    loaded = load(folder)
    t1 = time.perf_counter()
    sym = collect(loaded)
    expand(sym)
    run_checks(sym)
    t2 = time.perf_counter()
    C.lower_patterns(sym)
    t3 = time.perf_counter()
    return {"parse": t1 - t0, "checks": t2 - t1, "lower": t3 - t2}


def _pairwise_minimal(clause) -> int:
    kept: list[str] = []
    for s in sorted(clause, key=lambda s: (len(s), s)):
        if not any(k in s for k in kept):
            kept.append(s)
    return len(kept)


def lexicon(sizes: list[int], repeats: int, pairwise: bool) -> None:
    from hrouter.compiler.compile import compile_rules
    from hrouter.compiler.literals import _minimal

    print("lexicon: one words(...) list of N generated words; seconds (median of cold runs)")
    print(f"{'shape':>6} {'N':>7} {'compile':>8} {'parse':>7} {'checks':>7} {'lower':>7}" + ("  pairwise-minimal  linear-minimal" if pairwise else ""))
    for shape in ("w{}", "w{}z"):
        for n in sizes:
            with tempfile.TemporaryDirectory() as tmp:
                words = [shape.format(i) for i in range(n)]
                folder = _write(Path(tmp), f"feature big = words({', '.join(words)})\nroute r: big -> confirmation\n")
                total = _median(lambda: compile_rules(folder, check_expects=True), repeats)
                st = _stages(folder)
                line = f"{shape:>6} {n:>7} {total:>8.2f} {st['parse']:>7.2f} {st['checks']:>7.2f} {st['lower']:>7.2f}"
                if pairwise and shape == "w{}z":
                    clause = frozenset(words)
                    lin = _median(lambda: _minimal(clause), repeats)
                    old = _median(lambda: _pairwise_minimal(clause), 1) if n <= 20000 else float("nan")
                    line += f"  {old:>16.2f}  {lin:>14.3f}"
                print(line)


def options(repeats: int) -> None:
    from hrouter.compiler.compile import compile_rules
    from hrouter.compiler.typos import common_words

    common_words.cache_clear()
    start = time.perf_counter()
    n_common = len(common_words())
    print(f"\ncommon words: {n_common} (with inflected forms), loaded in {time.perf_counter() - start:.3f} s once per process")
    words = ", ".join(RISKY_100)
    print(f"options: words(<{len(RISKY_100)} risky words>; ...) in a small rule set")
    print(f"{'options':>15} {'words':>6} {'literals':>8} {'regex KB':>8} {'compile s':>9}")
    for opts in ("", "; inflect", "; typos", "; inflect, typos"):
        with tempfile.TemporaryDirectory() as tmp:
            folder = _write(Path(tmp), f"""feature verbs = words({words}{opts})
feature data = words(database, table, account, payment)
feature risky = near(verbs, data, 4)
route r: risky -> confirmation
""")
            artifact = compile_rules(folder, check_expects=True)
            (p,) = [p for p in artifact.patterns if p.feature == "verbs"]
            from hrouter.compiler.loader import load
            from hrouter.compiler.symbols import collect
            from hrouter.compiler.expand import expand

            sym = collect(load(folder))
            expand(sym)
            n_words = len(sym.features["verbs"].body.items)
            literals = sum(len(c) for c in p.literals)
            seconds = _median(lambda: compile_rules(folder, check_expects=True), repeats)
            print(f"{opts.strip('; ') or 'none':>15} {n_words:>6} {literals:>8} {len(p.regex) / 1024:>8.1f} {seconds:>9.3f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", default="1000,20000,100000")
    parser.add_argument("--pairwise", action="store_true", help="also time the former quadratic literal minimisation")
    args = parser.parse_args(argv)
    lexicon([int(s) for s in args.sizes.split(",")], args.repeats, args.pairwise)
    options(args.repeats)


if __name__ == "__main__":
    main()
