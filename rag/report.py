"""The evaluation report: one self-contained HTML file (inline CSS, JS and SVG; no network).

Charts are SVG written here in Python, so the file opens offline and in any browser. Every
piece of text from questions, answers and documents goes through ``html.escape``: documents
may contain markup (even ``<script>``) and must show as text. Standard library only, plus the
pure scoring module (``rag.scoring``; the report never imports the evaluation runner).
"""

from __future__ import annotations

import html
import json
from collections import defaultdict
from typing import Any, Sequence

from .scoring import score_result

_CSS = """
body{font-family:system-ui,-apple-system,"Noto Sans CJK SC","PingFang SC",sans-serif;margin:1.5rem;color:#222;
max-width:1400px}
h1{font-size:1.4rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd}
.cards{display:flex;flex-wrap:wrap;gap:.6rem}.card{border:1px solid #ddd;border-radius:6px;padding:.5rem .8rem;
min-width:8rem}.card b{display:block;font-size:1.3rem}.card span{font-size:.8rem;color:#666}
.charts{display:flex;flex-wrap:wrap;gap:1.5rem}.chart{border:1px solid #eee;padding:.4rem}
svg text{font-size:11px;fill:#333}
table{border-collapse:collapse;width:100%;font-size:.88rem}th,td{border:1px solid #ddd;padding:.3rem;
vertical-align:top;text-align:left}th{background:#f4f4f4;position:sticky;top:0}
tr.right td.verdict{background:#e3f6e3}tr.wrong td.verdict{background:#fbe3e3}tr.refused td.verdict{background:#fff4d6}
.cite{margin:.2rem 0;padding:.2rem;border-left:3px solid #9bc}.cite small{color:#666}
mark{background:#ffe066}.muted{color:#777}pre{white-space:pre-wrap;font-size:.8rem}
#filter{font-size:1rem;padding:.3rem;width:24rem;max-width:90%}
.delta-pos{color:#1a7f37}.delta-neg{color:#c62828}
"""

_JS = """
(function(){
  var box=document.getElementById('filter'), sel=document.getElementById('verdict');
  var rows=document.querySelectorAll('#results tbody tr'), shown=document.getElementById('shown');
  function apply(){
    var q=box.value.trim().toLowerCase(), v=sel?sel.value:'', n=0;
    for(var i=0;i<rows.length;i++){
      var tr=rows[i];
      var ok=(!q||tr.textContent.toLowerCase().indexOf(q)>=0)&&(!v||tr.getAttribute('data-verdict')===v);
      tr.hidden=!ok; if(ok) n++;
    }
    shown.textContent=n;
  }
  box.addEventListener('input',apply); if(sel) sel.addEventListener('change',apply);
})();
"""

_e = html.escape
CHART_DOCS = 30  # most bars in a per-document chart


def _fmt(v: Any, pct: bool = False) -> str:
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if pct and isinstance(v, (int, float)):
        return f"{v:.1%}"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def bar_chart(items: Sequence[tuple[str, float | None, int]], title: str, *, width: int = 460,
              max_value: float = 1.0, note: str = "") -> str:
    """Horizontal bars, one per (label, share in [0, max_value], question count)."""
    row, left, top = 18, 150, 24
    height = top + row * max(len(items), 1) + 22
    plot = width - left - 95
    parts = [f'<svg class="bar-chart" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
             f'role="img" aria-label="{_e(title)}"><title>{_e(title)}</title>',
             f'<text x="4" y="14" font-weight="bold">{_e(title)}</text>']
    for i, (label, value, n) in enumerate(items):
        y = top + i * row
        short = label if len(label) <= 22 else label[:21] + "…"
        parts.append(f'<text x="{left - 4}" y="{y + 12}" text-anchor="end"><title>{_e(label)}</title>{_e(short)}</text>')
        w = 0 if value is None else max(0.0, min(1.0, value / max_value)) * plot
        parts.append(f'<rect x="{left}" y="{y + 2}" width="{w:.1f}" height="{row - 5}" fill="#4a90c2"/>')
        parts.append(f'<text x="{left + w + 4:.1f}" y="{y + 12}">{_e(_fmt(value, pct=True))} (n={n})</text>')
    if not items:
        parts.append(f'<text x="{left}" y="{top + 12}" class="muted">no data</text>')
    if note:
        parts.append(f'<text x="4" y="{height - 6}" fill="#777">{_e(note)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def histogram(bins: Sequence[tuple[str, int]], title: str, *, width: int = 460, height: int = 220,
              x_label: str = "") -> str:
    """Vertical bars, one per (label, count)."""
    left, bottom, top = 36, 40, 26
    plot_w, plot_h = width - left - 10, height - top - bottom
    peak = max((c for _, c in bins), default=0) or 1
    bw = plot_w / max(len(bins), 1)
    parts = [f'<svg class="histogram" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
             f'role="img" aria-label="{_e(title)}"><title>{_e(title)}</title>',
             f'<text x="4" y="14" font-weight="bold">{_e(title)}</text>',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#999"/>',
             f'<text x="{left - 4}" y="{top + 8}" text-anchor="end">{peak}</text>']
    for i, (label, count) in enumerate(bins):
        h = count / peak * plot_h
        x = left + i * bw
        parts.append(f'<rect x="{x + 1:.1f}" y="{top + plot_h - h:.1f}" width="{max(bw - 2, 1):.1f}" '
                     f'height="{h:.1f}" fill="#7a6fc2"><title>{_e(label)}: {count}</title></rect>')
        if count:
            parts.append(f'<text x="{x + bw / 2:.1f}" y="{top + plot_h - h - 3:.1f}" text-anchor="middle">{count}</text>')
        if len(bins) <= 12 or i % max(1, len(bins) // 8) == 0:
            parts.append(f'<text x="{x + bw / 2:.1f}" y="{top + plot_h + 14}" text-anchor="middle">{_e(label)}</text>')
    if not bins:
        parts.append(f'<text x="{left + 10}" y="{top + 20}">no data</text>')
    if x_label:
        parts.append(f'<text x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle" fill="#777">'
                     f'{_e(x_label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def latency_bins(values: Sequence[float], n: int = 10) -> list[tuple[str, int]]:
    """Equal-width bins from the smallest value to the 99th percentile, labelled by lower edge.

    Slower outliers (the first question pays for loading models) go to one last ``≥`` bin, so a
    single slow start does not squash every other bar into the first one.
    """
    if not values:
        return []
    v = sorted(values)
    lo = v[0]
    hi = v[min(len(v) - 1, int(round(0.99 * (len(v) - 1))))]
    if hi <= lo:
        hi = v[-1]
    if hi <= lo:
        return [(f"{lo:.0f}", len(v))]
    step = (hi - lo) / n
    counts = [0] * n
    over = 0
    for x in v:
        if x > hi:
            over += 1
        else:
            counts[min(int((x - lo) / step), n - 1)] += 1
    nd = 0 if step >= 5 else (1 if step >= 0.5 else 2)
    bins = [(f"{lo + i * step:.{nd}f}", c) for i, c in enumerate(counts)]
    if over:
        bins.append((f">{hi:.{nd}f}", over))
    return bins


def mark_span(text: str, start: int, end: int) -> str:
    """Escaped text with ``text[start:end]`` inside ``<mark>``."""
    start, end = max(0, min(start, len(text))), max(0, min(end, len(text)))
    if end <= start:
        return _e(text)
    return f"{_e(text[:start])}<mark>{_e(text[start:end])}</mark>{_e(text[end:])}"


def mark_answer(text: str, answers: Sequence[Any]) -> str:
    """Escaped text with the first occurrence of any answer string marked."""
    flat = [a for x in answers for a in (x if isinstance(x, list) else [x]) if isinstance(a, str) and a]
    low = text.lower()
    for a in sorted(flat, key=len, reverse=True):
        i = low.find(a.lower())
        if i >= 0:
            return mark_span(text, i, i + len(a))
    return _e(text)


def _verdict(r: dict[str, Any], s: dict[str, Any]) -> tuple[str, str]:
    """(css/filter class, shown text) for one result."""
    if r.get("error"):
        return "error", "error"
    if r.get("answer") is None:  # retrieval only
        if s.get("source_rank"):
            return "right", f"source @{s['source_rank']}"
        return ("wrong", "source missed") if r.get("sources") and not r.get("contexts_given") else ("none", "–")
    if r.get("abstained"):
        return ("right" if not r.get("answerable", True) else "refused"), "refused"
    if s.get("correct") is True:
        return "right", "correct"
    if s.get("correct") is False:
        return "wrong", "wrong"
    if not r.get("answerable", True):
        return "wrong", "answered (unanswerable)"
    return "none", "not judged"


def _evidence(r: dict[str, Any]) -> str:
    out = []
    seen = set()
    for c in r.get("citations") or []:
        key = (c.get("n"), c.get("chunk_id"))
        if key in seen:
            continue
        seen.add(key)
        span = c.get("span") or [0, 0]
        flag = (" · inferred" if c.get("inferred") else "") + (" · does not hold" if c.get("holds") is False else "")
        out.append(f'<div class="cite"><small>[{_e(str(c.get("n")))}] {_e(str(c.get("doc_id", "")))} · '
                   f'{_e(str(c.get("title", "")))}{flag} · support {_e(_fmt(c.get("support")))}</small><br>'
                   f'{mark_span(str(c.get("text", "")), int(span[0]), int(span[1]))}</div>')
    if out:
        return "".join(out)
    hits = r.get("hits") or []
    if not hits:
        return '<span class="muted">no chunks</span>'
    sources = set(r.get("sources") or [])
    best = next((h for h in hits if h.get("doc_id") in sources), hits[0])
    top = ", ".join(_e(str(h.get("doc_id", ""))) for h in hits[:5])
    return (f'<div class="cite"><small>#{_e(str(best.get("rank", "")))} {_e(str(best.get("doc_id", "")))} · '
            f'{_e(str(best.get("title", "")))}</small><br>{mark_answer(str(best.get("text", "")), r.get("answers") or [])}'
            f'</div><small class="muted">top: {top}</small>')


def _by_document(results: Sequence[dict], scores: Sequence[dict], k: int) -> tuple[list, list, int]:
    acc: dict[str, list[bool]] = defaultdict(list)
    hit: dict[str, list[bool]] = defaultdict(list)
    for r, s in zip(results, scores):
        for doc in r.get("sources") or []:
            if s.get("correct") is not None:
                acc[doc].append(bool(s["correct"]))
            if not r.get("contexts_given"):
                hit[doc].append(bool(s.get("source_rank")) and s["source_rank"] <= k)
    def items(d: dict[str, list[bool]]) -> list[tuple[str, float, int]]:
        rows = [(doc, sum(v) / len(v), len(v)) for doc, v in sorted(d.items())]
        if len(rows) > CHART_DOCS:  # hundreds of bars say nothing: show the weakest documents
            rows = sorted(rows, key=lambda x: (x[1], -x[2], x[0]))[:CHART_DOCS]
        return rows

    return items(acc), items(hit), max(len(acc), len(hit))


def render_report(metrics: dict[str, Any], results: Sequence[dict[str, Any]]) -> str:
    """The whole report page for one run."""
    scores = [r.get("scores") or score_result(r) for r in results]
    k = int(metrics.get("k") or 5)
    generate = bool(metrics.get("generate"))
    ret, ans, cit, lat = (metrics.get(x) or {} for x in ("retrieval", "answers", "citations", "latency"))
    cards = [("questions", _fmt((metrics.get("counts") or {}).get("questions")))]
    cards += [(f"hit@{n}", _fmt(ret.get(f"hit@{n}"), True)) for n in (1, 3, 5, 10)]
    cards += [("MRR", _fmt(ret.get("mrr"))), (f"answer in top {k}", _fmt(ret.get(f"answer_in_top{k}"), True))]
    if generate:
        cards += [("accuracy", _fmt(ans.get("accuracy"), True)), ("false refusals", _fmt(ans.get("false_refusal"), True)),
                  ("refusal precision", _fmt(ans.get("refusal_precision"), True)),
                  ("refusal recall", _fmt(ans.get("refusal_recall"), True)),
                  ("valid citations", _fmt(cit.get("valid"), True)),
                  ("cited chunk has answer", _fmt(cit.get("cited_chunk_has_answer"), True)),
                  ("model's own markers have answer", _fmt(cit.get("marker_chunk_has_answer"), True)),
                  ("unsupported sentences", _fmt(cit.get("unsupported_sentences"), True)),
                  ("first token p50 (ms)", _fmt(lat.get("ttft_ms_p50")))]
    cards += [("retrieve p50 (ms)", _fmt(lat.get("retrieve_ms_p50"))), ("total p95 (ms)", _fmt(lat.get("total_ms_p95")))]
    card_html = "".join(f'<div class="card"><b>{_e(v)}</b><span>{_e(name)}</span></div>' for name, v in cards)

    acc_items, hit_items, n_docs = _by_document(results, scores, k)
    note = f"the {CHART_DOCS} weakest of {n_docs} documents" if n_docs > CHART_DOCS else ""
    charts = []
    if generate:
        charts.append(bar_chart(acc_items, "Accuracy by source document", note=note))
    charts.append(bar_chart(hit_items, f"Retrieval hit@{k} by source document", note=note))
    totals = [float(r["timings"]["total_ms"]) for r in results if "total_ms" in (r.get("timings") or {})]
    charts.append(histogram(latency_bins(totals), "Latency distribution (total ms)", x_label="ms"))
    depth = max([len(r.get("hits") or []) for r in results] + [1])
    ranks = [s.get("source_rank") for r, s in zip(results, scores) if r.get("sources") and not r.get("contexts_given")]
    rank_bins = [(str(i), sum(1 for x in ranks if x == i)) for i in range(1, depth + 1)]
    rank_bins.append(("none", sum(1 for x in ranks if not x)))
    charts.append(histogram(rank_bins, "Rank of the first relevant chunk", x_label="rank"))
    chart_html = "".join(f'<div class="chart">{c}</div>' for c in charts)

    rows = []
    for r, s in zip(results, scores):
        cls, verdict = _verdict(r, s)
        answer = r.get("answer")
        answer_html = _e(answer) if answer is not None else '<span class="muted">(retrieval only)</span>'
        if r.get("error"):
            answer_html = f'<span class="muted">error: {_e(str(r["error"]))}</span>'
        elif r.get("abstained") and r.get("reason"):
            # Why the pipeline refused, and what the model had written when a check overruled it.
            draft = f'<br><small class="muted">draft: {_e(str(r["draft"]))}</small>' if r.get("draft") else ""
            answer_html += f'<br><small class="muted">refused: {_e(str(r["reason"]))}</small>{draft}'
        else:
            # The verified sentences say which claims no chunk supports, and why (figure, guess, name).
            for x in r.get("sentences") or []:
                if x.get("verdict") == "unsupported":
                    why = "; ".join(str(p) for p in x.get("problems") or []) or "low support"
                    answer_html += f'<br><small class="muted">unsupported: {_e(str(x.get("text", "")))} ({_e(why)})</small>'
        gold = " | ".join(" + ".join(a) if isinstance(a, list) else a for a in r.get("answers") or [])
        rows.append(
            f'<tr class="{cls}" data-verdict="{cls}"><td>{_e(str(r.get("id", "")))}</td>'
            f'<td>{_e(str(r.get("question", "")))}</td><td>{_e(gold) or "<span class=muted>–</span>"}</td>'
            f'<td>{answer_html}</td><td class="verdict">{_e(verdict)}</td>'
            f'<td>{_e(_fmt(s.get("source_rank")))}</td><td>{_evidence(r)}</td></tr>'
        )
    settings_json = json.dumps({key: metrics.get(key) for key in ("models", "index", "generate", "k", "settings")},
                               ensure_ascii=False, indent=1)
    metrics_json = json.dumps({key: metrics.get(key) for key in ("counts", "retrieval", "answers", "citations",
                                                                   "latency")}, ensure_ascii=False, indent=1)
    title = "Evaluation report" + ("" if generate else " (retrieval only)")
    return f"""<!DOCTYPE html>
<html lang="zh"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{_e(title)}</title><style>{_CSS}</style></head><body>
<h1>{_e(title)}</h1>
<div class="cards">{card_html}</div>
<h2>Charts</h2><div class="charts">{chart_html}</div>
<h2>Questions</h2>
<p><input id="filter" type="search" placeholder="filter: id, question, answer, document…" aria-label="filter">
<select id="verdict" aria-label="verdict"><option value="">all</option><option value="right">right</option>
<option value="wrong">wrong</option><option value="refused">refused</option><option value="error">error</option></select>
<span id="shown">{len(rows)}</span> of {len(rows)} shown</p>
<table id="results"><thead><tr><th>id</th><th>question</th><th>expected</th><th>answer</th><th>result</th>
<th>source rank</th><th>evidence (supporting span marked)</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table>
<h2>Metrics</h2><pre>{_e(metrics_json)}</pre>
<h2>Settings</h2><details><summary>models, index and settings of this run</summary><pre>{_e(settings_json)}</pre></details>
<script>{_JS}</script>
</body></html>
"""


def render_compare(name_a: str, name_b: str, deltas: Sequence[tuple[str, Any, Any, Any]],
                   changes: dict[str, list[dict]], labels: dict[str, str]) -> str:
    """The comparison page of two runs: metric deltas and the questions that changed."""
    metric_rows = []
    for key, a, b, d in deltas:
        cls = "" if not d else ("delta-pos" if d > 0 else "delta-neg")
        if key.startswith("latency.") or key.endswith("false_refusal") or key.endswith("unsupported_sentences"):
            cls = {"delta-pos": "delta-neg", "delta-neg": "delta-pos"}.get(cls, cls)  # lower is better
        metric_rows.append(f'<tr><td>{_e(key)}</td><td>{_e(_fmt(a))}</td><td>{_e(_fmt(b))}</td>'
                           f'<td class="{cls}">{_e(("+" if d and d > 0 else "") + _fmt(d))}</td></tr>')
    sections = []
    for key, label in labels.items():
        items = changes.get(key) or []
        trs = "".join(
            f'<tr><td>{_e(str(row["id"]))}</td><td>{_e(str(row["question"]))}</td>'
            f'<td>{_e(str(row["a"].get("answer") or ""))}</td><td>{_e(str(row["b"].get("answer") or ""))}</td></tr>'
            for row in items
        )
        sections.append(f'<h2>{_e(label)}: {len(items)}</h2><table><thead><tr><th>id</th><th>question</th>'
                        f'<th>answer A</th><th>answer B</th></tr></thead><tbody>{trs}</tbody></table>')
    return f"""<!DOCTYPE html>
<html lang="zh"><head><meta charset="utf-8"><title>Comparison</title><style>{_CSS}</style></head><body>
<h1>Comparison</h1><p>A: {_e(name_a)}<br>B: {_e(name_b)}</p>
<table><thead><tr><th>metric</th><th>A</th><th>B</th><th>B − A</th></tr></thead><tbody>{"".join(metric_rows)}</tbody></table>
{"".join(sections)}
</body></html>
"""
