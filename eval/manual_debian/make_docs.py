#!/usr/bin/env python3
"""Split the Chinese Debian Reference (plain text) into one document per section.

Usage:
    python eval/manual_debian/make_docs.py [PATH_TO_TXT_GZ] [--out data/gen/manual_debian.jsonl]

Input: debian-reference.zh-cn.txt.gz from the Debian package debian-reference-zh-cn
(version 2.100, bookworm). The file starts with a table of contents (the heading tree,
then a list of tables); the body follows with the same headings at column 0:
"序言", "第 N 章 <title>", "附录 A. <title>", and "N.N. <title>" / "N.N.N. <title>".

How it splits:
  * The headings are taken from the table of contents, in order, and then found one by one,
    in the same order, as whole lines at column 0 of the body. Only a line equal to the next
    expected heading starts a section, so numbered lines inside the text cannot start one.
    The small table of contents that the preface repeats (a "目录" block) is skipped.
  * Every heading, of any level, ends the section before it: a section's text is its body up to
    the next heading of any level. So the unit is the deepest numbered heading (x.y.z where a
    section has subsections, else x.y); the text a chapter or an x.y section has before its first
    subsection becomes a document of its own (e.g. "debref-9" for chapter 9's opening text).
  * Sections whose body is under 40 characters (whitespace not counted) are FOLDED into the
    next section: their heading line and body are put in front of the next section's text, and
    that next section keeps its own doc_id and title. (Most such bodies are empty: an x.y
    heading followed at once by x.y.1.) Nothing is dropped.
  * The text is kept as it is (tables, commands, notes, chapter-end footnotes); only trailing
    whitespace is stripped from each line, and blank lines at the start and end are removed.
  * doc_id is "debref-<number>" and title is "<number> <heading>", e.g. "debref-10.5.1" and
    "10.5.1 配置 Git 客户端". Chapters use their number ("debref-2"), the appendix its letter
    ("debref-A", "debref-A.1"). The preface's own numbers (1-5, 3.1-3.6) would clash with the
    chapters', so its documents are "debref-preface" / "debref-preface-3.1" with titles
    "序言" / "序言 3.1 指导原则". The script checks that doc_ids are unique.

--as-upload (round r34, after the set's first run): each section's text is read the way ``rag index``
reads an uploaded .txt file, through the layout repair ``rag.cleaning.clean_text`` (hard-wrapped
lines joined, layout spaces dropped). JSONL records are indexed as given, so without it every
wrapped line of the plain-text rendering ends a sentence for the citation checks ("你可以在" /
"命令行输入“reset”。"). The first run used the records without it; see the README.

Output: one JSON line {"doc_id", "title", "text"} per section, written to
data/gen/manual_debian.jsonl (relative to the current directory, or --out); prints the number
of documents and the total number of characters of their texts.
"""
import argparse
import gzip
import json
import re
import sys

DEFAULT_SRC = "/tmp/deb/x/usr/share/debian-reference/debian-reference.zh-cn.txt.gz"
DEFAULT_OUT = "data/gen/manual_debian.jsonl"
MIN_BODY = 40

TOC_ENTRY = re.compile(r"^(\s*)((?:\d+|[A-Z])(?:\.\d+)*)\. (.+?)\s*$")


def join_wrapped(first, more):
    """Join a wrapped heading: with a space between two Latin words, else directly."""
    if first[-1:].isascii() and first[-1:].isalnum() and more[:1].isascii() and more[:1].isalnum():
        return first + " " + more
    return first + more


def squeeze(text):
    return "".join(text.split())


def heading_at(lines, i, body_line):
    """Number of lines (1-3) that the heading body_line takes at line i of the body, or 0.

    A heading stands at column 0 and may be wrapped onto one or two more column-0 lines;
    whitespace is ignored in the comparison, as the wrapping differs from the contents'.
    """
    if not lines[i] or lines[i][0].isspace():
        return 0
    want = squeeze(body_line)
    got = ""
    for k in range(3):
        if i + k >= len(lines) or not lines[i + k] or lines[i + k][0].isspace():
            return 0
        got += squeeze(lines[i + k])
        if got == want:
            return k + 1
        if not want.startswith(got):
            return 0
    return 0


def read_toc(lines):
    """Return the headings of the table of contents, in order, and the index where it ends.

    Each heading is (doc_id, title, body_line): body_line is the line as the body writes it.
    """
    start = lines.index("目录")
    end = lines.index("表格清单", start)  # the list of tables follows the heading tree
    headings = []
    in_preface = False
    for line in lines[start + 1:end]:
        if not line.strip():
            continue
        if line.strip() == "序言":
            in_preface = True
            headings.append(("debref-preface", "序言", "序言"))
            continue
        m = TOC_ENTRY.match(line)
        if not m:  # a long heading wrapped onto the next line
            if not headings or not line.startswith(" "):
                sys.exit(f"unexpected line in the table of contents: {line!r}")
            doc_id, title, body_line = headings[-1]
            more = line.strip()
            headings[-1] = (doc_id, join_wrapped(title, more), join_wrapped(body_line, more))
            continue
        indent, number, heading = m.groups()
        if indent == "":  # a chapter or the appendix
            in_preface = False
            if number.isdigit():
                body_line = f"第 {number} 章 {heading}"
            else:
                body_line = f"附录 {number}. {heading}"
            headings.append((f"debref-{number}", f"{number} {heading}", body_line))
        elif in_preface:
            headings.append((f"debref-preface-{number}", f"序言 {number} {heading}",
                             f"{number}. {heading}"))
        else:
            headings.append((f"debref-{number}", f"{number} {heading}", f"{number}. {heading}"))
    return headings, end


def split_body(lines, headings, toc_end):
    """Find the headings in the body, in order; return [(doc_id, title, body_lines)]."""
    i = lines.index("序言", toc_end)  # the body starts with the preface
    sections = []
    expected = 0
    current = None
    while i < len(lines):
        line = lines[i]
        if current is not None and current[0] == "debref-preface" and line == "目录":
            # The preface repeats its own small table of contents: skip it, up to the first
            # blank line after its list.
            i += 1
            while i < len(lines) and not lines[i].strip():
                i += 1
            while i < len(lines) and lines[i].strip():
                i += 1
            continue
        taken = heading_at(lines, i, headings[expected][2]) if expected < len(headings) else 0
        if taken:
            doc_id, title, _ = headings[expected]
            current = (doc_id, title, [])
            sections.append(current)
            expected += 1
            i += taken
            continue
        if current is not None:
            current[2].append(line.rstrip())
        i += 1
    if expected != len(headings):
        sys.exit(f"heading not found in the body: {headings[expected][2]!r}")
    return sections


def tidy(body_lines):
    text = "\n".join(body_lines)
    return text.strip("\n")


def build_documents(sections):
    docs = []
    carry = ""  # text of short sections folded into the next one
    for doc_id, title, body in sections:
        text = tidy(body)
        heading_line = title
        if len("".join(text.split())) < MIN_BODY:
            carry += heading_line + ("\n\n" + text if text else "") + "\n\n"
            continue
        docs.append({"doc_id": doc_id, "title": title, "text": carry + text})
        carry = ""
    if carry:  # a short last section: fold it into the document before it
        docs[-1]["text"] += "\n\n" + carry.rstrip("\n")
    return docs


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("src", nargs="?", default=DEFAULT_SRC)
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--as-upload", action="store_true",
                    help="repair each section's layout as `rag index` does for a .txt file")
    args = ap.parse_args()

    with gzip.open(args.src, "rt", encoding="utf-8") as f:
        lines = f.read().split("\n")
    headings, toc_end = read_toc(lines)
    sections = split_body(lines, headings, toc_end)
    docs = build_documents(sections)
    if args.as_upload:
        from pathlib import Path

        sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
        from rag.cleaning import clean_text

        docs = [{**d, "text": clean_text(d["text"])} for d in docs]

    ids = [d["doc_id"] for d in docs]
    if len(ids) != len(set(ids)):
        sys.exit("duplicate doc_ids")

    with open(args.out, "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps(d, ensure_ascii=False) + "\n")
    total = sum(len(d["text"]) for d in docs)
    print(f"{len(headings)} headings, {len(docs)} documents, {total} characters -> {args.out}")


if __name__ == "__main__":
    main()
