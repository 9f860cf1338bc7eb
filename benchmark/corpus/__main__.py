"""`python -m iwr.benchmark.corpus list|fetch|check|record`: the third-party corpus."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from ...core.errors import IwrError
from . import corpus_apps, fetch_app, record_corpus


def _check(ids: list[str]) -> int:
    from ...tools.browser import launch_browser
    from .check import check_app

    async def run() -> int:
        bad = 0
        async with launch_browser() as browser:
            for app_id in ids:
                c = await check_app(browser, app_id)
                demo = c.traces["demo"]
                print(f"== {app_id}: {len(c.spec.actions)} steps, {len(c.spec.probes)} probes")
                for k, act in enumerate(c.spec.actions, start=1):
                    changed = demo.texts[k] != demo.texts[k - 1]
                    print(f"  step {k:2d} {'ok ' if demo.performed[k - 1] else 'NOT'} "
                          f"text {'changed' if changed else 'same   '}  {act.description[:80]}")
                for line in c.unperformed():
                    print(f"  NOT PERFORMED {line}")
                    bad += 1
                for d in c.defects:
                    declared = d.defect.breaks_at_step
                    ok = d.find_count == 1 and d.first_difference == declared
                    bad += not ok
                    print(f"  defect {d.defect.name} ({d.defect.kind}): find x{d.find_count}, first difference at "
                          f"{d.first_difference}, declared {declared} {'ok' if ok else 'MISMATCH'}")
        return bad

    return 1 if asyncio.run(run()) else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m iwr.benchmark.corpus", description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list", help="the apps of apps.yaml")
    for name in ("fetch", "check"):
        p = sub.add_parser(name, help=f"{name} apps (default: all with a demo)")
        p.add_argument("ids", nargs="*")
    rec = sub.add_parser("record", help="record apps' demos into OUT/data.jsonl")
    rec.add_argument("ids", nargs="*")
    rec.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    apps = corpus_apps()
    try:
        if args.cmd == "list":
            for a in apps:
                print(f"{a.id:28s} {a.package.spec:32s} {a.licence:10s} {a.framework:24s} {a.author:28s} {','.join(a.kinds)}")
            return 0
        ids = args.ids or [a.id for a in apps if (a.demo_dir / "demo.yaml").is_file()]
        if args.cmd == "fetch":
            for i in ids:
                print(f"{i}: {fetch_app(i)}")
            return 0
        if args.cmd == "check":
            return _check(ids)
        tasks = record_corpus(ids, args.out, progress=print)
        print(f"{len(tasks)} task(s) written to {args.out / 'data.jsonl'}")
        return 0
    except IwrError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
