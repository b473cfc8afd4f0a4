"""Record what the analysis reports on the real corpora and the rule examples, and compare two records.

    python scripts/compare_findings.py snapshot OUT.json [CORPUS|FOLDER ...] [--corpus-dir DIR]
    python scripts/compare_findings.py diff BEFORE.json AFTER.json

``snapshot`` analyses every ``.py`` file of each corpus (default: timm, torchvision, transformers,
x-transformers, unpacked by benchmarks/corpus.py under ``benchmarks/.corpus``; a folder path is
also accepted and named as given) plus every VALID/INVALID example of every rule, and writes the
findings (corpus, path relative to the corpus root, line, col, code, attr) and each file's
analysis error to OUT.json.  Files that cannot be read or parsed are skipped and counted.

``diff`` prints every finding and every error that only one record has (or that changed), then
the finding counts per corpus before and after; it exits 1 when the records differ.

Run the same script against two versions of the package (e.g. before and after a refactoring)
with each version's interpreter; ``--corpus-dir`` points at the corpora when the package being
measured has none of its own.  Progress goes to stderr, results to the file / stdout only.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import json
import sys
import time
from collections import Counter
from pathlib import Path

#: Corpus name -> root, relative to the corpus folder (as in benchmarks/fix_corpus.py).
CORPORA = {
    "timm": "timm/timm",
    "torchvision": "torchvision/torchvision",
    "transformers": "transformers/transformers/models",
    "x-transformers": "x-transformers/x_transformers",
}
EXAMPLES = "examples"
#: Codes whose ``attr`` is not an attribute of ``self`` (what the finding is about, as written).
LINE_CODES = frozenset({"TPC008", "TPC009"})


def load_package():
    """The few entry points used here, imported so that a moved one is named clearly."""
    needed = [
        ("flake8_param_check.analysis", "analyze"),
        ("flake8_param_check.project", "clear_cache"),
        ("flake8_param_check.source", "read_source"),
        ("flake8_param_check.rules._examples", "HEADER"),
    ]
    found = {}
    for module, name in needed:
        try:
            found[name] = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError) as exc:
            raise SystemExit(f"compare_findings: cannot import {module}.{name} ({exc}); "
                             f"the package layout changed, update load_package() in {__file__}")
    try:
        rules = importlib.import_module("flake8_param_check.rules")
        found["rules"] = [(r.CODE, r.VALID, r.INVALID) for r in rules.RULES]
    except (ImportError, AttributeError) as exc:
        raise SystemExit(f"compare_findings: flake8_param_check.rules.RULES (modules with CODE, VALID, "
                         f"INVALID) is not available ({exc}); update load_package() in {__file__}")
    package = sys.modules["flake8_param_check"]
    print(f"flake8_param_check from {package.__file__}", file=sys.stderr)
    return found


def default_corpus_dir() -> Path:
    candidates = [Path(__file__).resolve().parent.parent / "benchmarks" / ".corpus",
                  Path.cwd() / "benchmarks" / ".corpus"]
    return next((c for c in candidates if c.is_dir()), candidates[0])


def snapshot(args: argparse.Namespace) -> int:
    pkg = load_package()
    analyze, clear_cache, read_source = pkg["analyze"], pkg["clear_cache"], pkg["read_source"]
    corpus_dir = Path(args.corpus_dir) if args.corpus_dir else default_corpus_dir()
    targets = []
    for target in args.corpora or list(CORPORA):
        root = corpus_dir / CORPORA[target] if target in CORPORA else Path(target)
        if not root.is_dir():
            raise SystemExit(f"compare_findings: {target}: no such corpus or folder ({root}); "
                             f"run benchmarks/corpus.py or pass --corpus-dir")
        targets.append((target, root))

    out = {"package": sys.modules["flake8_param_check"].__file__, "corpora": {}, "findings": [],
           "errors": [], "examples": {}}
    for name, root in targets:
        clear_cache()
        started = time.perf_counter()
        files = sorted(p for p in root.rglob("*.py") if p.is_file() and "__pycache__" not in p.parts)
        skipped = 0
        for i, path in enumerate(files, 1):
            if i % 200 == 0:
                print(f"  {name}: {i}/{len(files)}", file=sys.stderr)
            try:
                source = read_source(str(path))
                tree = ast.parse(source)
            except (OSError, SyntaxError, ValueError, UnicodeDecodeError):
                skipped += 1
                continue
            rel = path.relative_to(root).as_posix()
            result = analyze(source, path=str(path), tree=tree)
            for f in result.findings:
                out["findings"].append({"corpus": name, "path": rel, "line": f.line, "col": f.col,
                                        "code": f.code, "attr": f.attr})
            if result.error is not None:
                out["errors"].append({"corpus": name, "path": rel, "error": result.error})
        count = sum(1 for f in out["findings"] if f["corpus"] == name)
        out["corpora"][name] = {"root": str(root), "files": len(files), "skipped": skipped, "findings": count}
        print(f"{name}: {len(files)} files ({skipped} skipped), {count} findings, "
              f"{time.perf_counter() - started:.1f}s", file=sys.stderr)

    clear_cache()
    for code, valid, invalid in pkg["rules"]:
        for kind, snippets in (("VALID", valid), ("INVALID", invalid)):
            for i, snippet in enumerate(snippets):
                result = analyze(pkg["HEADER"] + snippet)
                out["examples"][f"{EXAMPLES}/{code}/{kind}/{i}"] = {
                    "findings": [{"line": f.line, "col": f.col, "code": f.code, "attr": f.attr}
                                 for f in result.findings],
                    "error": result.error,
                }
    print(f"{EXAMPLES}: {len(out['examples'])} snippets", file=sys.stderr)

    Path(args.out).write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


def flatten(record: dict) -> tuple[set[tuple], dict[tuple[str, str], str]]:
    """Findings as (corpus, path, line, col, code, attr) and errors by (corpus, path); the rule
    examples count as corpus ``examples`` with paths ``CODE/KIND/i``."""
    findings = {
        (f["corpus"], f["path"], f["line"], f["col"], f["code"], f["attr"]) for f in record["findings"]
    }
    errors = {(e["corpus"], e["path"]): e["error"] for e in record["errors"]}
    for key, example in record.get("examples", {}).items():
        path = key.split("/", 1)[1]
        findings |= {(EXAMPLES, path, f["line"], f["col"], f["code"], f["attr"]) for f in example["findings"]}
        if example["error"] is not None:
            errors[(EXAMPLES, path)] = example["error"]
    return findings, errors


def diff(args: argparse.Namespace) -> int:
    records = [json.loads(Path(p).read_text(encoding="utf-8")) for p in (args.before, args.after)]
    (before, before_errors), (after, after_errors) = map(flatten, records)
    for item in sorted(before ^ after):
        corpus, path, line, col, code, attr = item
        side = "only before" if item in before else "only after "
        # A finding on a ``self.<attr>`` store names the attribute; others name what they are
        # about as written (``nn.Linear`` built in forward, a receiver ``x``, ``self.mask``).
        subject = attr if code in LINE_CODES else f"self.{attr}"
        print(f"{side}: {corpus}/{path}:{line}:{col}: {code} {subject}")
    changed_errors = sorted(k for k in before_errors.keys() | after_errors.keys()
                            if before_errors.get(k) != after_errors.get(k))
    for key in changed_errors:
        print(f"error changed: {key[0]}/{key[1]}: {before_errors.get(key)!r} -> {after_errors.get(key)!r}")

    counts = [Counter(f[0] for f in found) for found in (before, after)]
    names = list(dict.fromkeys([*records[0].get("corpora", {}), *records[1].get("corpora", {}), EXAMPLES]))
    print(f"\n{'corpus':16} {'before':>7} {'after':>7}")
    for name in names:
        print(f"{name:16} {counts[0][name]:>7} {counts[1][name]:>7}")
    differs = bool(before ^ after or changed_errors)
    if differs:
        print(f"{len(before ^ after)} findings and {len(changed_errors)} errors differ")
    else:
        print("no difference")
    return 1 if differs else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    snap = sub.add_parser("snapshot", help="analyse the corpora and the rule examples, write JSON")
    snap.add_argument("out", help="the JSON file to write")
    snap.add_argument("corpora", nargs="*", help=f"corpus names ({', '.join(CORPORA)}) or folders")
    snap.add_argument("--corpus-dir", help="the folder holding the unpacked corpora "
                                           "(default: benchmarks/.corpus next to this script, or in the cwd)")
    snap.set_defaults(run=snapshot)
    dif = sub.add_parser("diff", help="compare two snapshots; exit 1 when they differ")
    dif.add_argument("before")
    dif.add_argument("after")
    dif.set_defaults(run=diff)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
