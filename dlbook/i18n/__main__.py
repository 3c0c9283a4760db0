"""python -m dlbook.i18n update | status | worksheet DOMAIN | import FILE... | build"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dlbook.i18n import catalog, worksheet


def _status(args) -> int:
    complete = True
    for s in catalog.status():
        complete &= s.complete
        print(f"{s.domain:24s} {s.total:4d} messages  missing {len(s.missing):3d}  "
              f"untranslated {len(s.untranslated):3d}  fuzzy {len(s.fuzzy):3d}  "
              f"obsolete {len(s.obsolete):3d}")
    if not complete:
        print("incomplete: run `python -m dlbook.i18n update`, then translate the open entries "
              "(`python -m dlbook.i18n worksheet DOMAIN`)")
    return 0 if complete else 1


def _update(args) -> int:
    changed = catalog.update()
    print("catalogues changed:", ", ".join(changed) or "none")
    if not args.catalogues_only:
        from dlbook.i18n import edition
        for path in edition.write_colab_notebooks():
            print("wrote", path)
    return _status(args)


def _worksheet(args) -> int:
    sys.stdout.write(worksheet.export(args.domain, everything=args.all))
    return 0


def _import(args) -> int:
    problems = []
    for name in args.files:
        problems += worksheet.import_text(Path(name).read_text(encoding="utf8"))
    for problem in problems:
        print(problem)
    return 1 if problems else 0


def _build(args) -> int:
    from dlbook.i18n import edition
    return edition.build(strict=args.strict, site=args.site, work=args.work)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dlbook.i18n", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("update", help="merge the English sources into the catalogues and "
                                      "regenerate the Chinese notebooks in zh/")
    p.add_argument("--catalogues-only", action="store_true")
    p.set_defaults(run=_update)
    sub.add_parser("status", help="how complete every catalogue is (exit 1 if not)"
                   ).set_defaults(run=_status)
    p = sub.add_parser("worksheet", help="print a catalogue's open entries as a worksheet")
    p.add_argument("domain", help="e.g. book/01_neuron or site")
    p.add_argument("--all", action="store_true", help="every entry, translated or not")
    p.set_defaults(run=_worksheet)
    p = sub.add_parser("import", help="write worksheets back into their catalogues")
    p.add_argument("files", nargs="+")
    p.set_defaults(run=_import)
    p = sub.add_parser("build", help="build the Chinese website into _build/html/zh")
    p.add_argument("--strict", action="store_true",
                   help="fail on an untranslated message instead of showing the English")
    p.add_argument("--site", type=Path, help="where the website goes (default _build/html/zh)")
    p.add_argument("--work", type=Path, help="where its sources and cache go (default _build)")
    p.set_defaults(run=_build)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
