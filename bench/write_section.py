#!/usr/bin/env python3
"""write_section.py DOC NAME TITLE: puts $BENCH_TEXT between <!-- bench:NAME:start --> and
<!-- bench:NAME:end --> of DOC (docs/benchmarks.md), or appends it under "## TITLE" when DOC has
no such section yet. Shared by the bench scripts; DOC "none" writes nothing."""
import os
import sys

path, name, title = sys.argv[1:4]
if path != "none":
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    text = open(path).read()
    block = start + "\n" + os.environ["BENCH_TEXT"] + "\n" + end
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + f"\n\n## {title}\n\n" + block + "\n"
    open(path, "w").write(text)
    print(f"figures written to {path}")
