"""Batch evaluation: question validation, answer matching, metrics, resume, refusal to mix runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.errors import InputError
from rag.evaluation import (
    answer_parts,
    compare_runs,
    compute_metrics,
    evaluate,
    load_questions,
    match_answer,
    normalize_answer,
    percentile,
    score_result,
)

CORPUS = {
    "econ.txt": "西宁经济稳步增长\n\n2024年西宁地区生产总值增长5.5%左右，城镇居民人均可支配收入达到43269元。\n全市接待游客3161.8万人次。",
    "eco.txt": "生态保护取得新成效\n\n西宁坚持生态优先，完成国土绿化面积12万亩，空气质量优良天数比例达到92.3%。",
    "sport.md": "# 篮球联赛开幕\n\n青海省篮球联赛在西宁体育馆开幕，共有16支球队参赛，比赛将持续三个月。",
}

QUESTIONS = [
    {"id": "q1", "question": "西宁地区生产总值增长多少？", "answers": ["5.5%"], "sources": ["econ"]},
    {"id": "q2", "question": "西宁完成国土绿化面积多少？", "answers": ["12万亩"], "sources": ["eco"]},
    {"id": "q3", "question": "青海省篮球联赛共有多少支球队参赛？", "answers": [["16支", "十六支"], ["球队"]],
     "sources": ["sport"]},
    {"id": "q4", "question": "西宁空气质量优良天数比例达到多少？", "answers": ["92.3%"], "sources": ["eco"]},
    {"id": "q5", "question": "量子计算机的原理是什么？", "answers": [], "sources": [], "answerable": False},
    {"id": "q6", "question": "全市接待游客多少人次？", "answers": ["3161.8万人次"], "sources": ["econ"]},
]

REPLIES = {
    "q1": "西宁地区生产总值增长5.5%左右[1]。",
    "q2": "西宁完成国土绿化面积12万亩[1]。",
    "q3": "青海省篮球联赛共有16支球队参赛[1]。",
    "q4": "空气质量优良天数比例达到92.3%[1]。",
    "q5": "资料中没有找到这个问题的答案。",
    "q6": "全市接待游客3161.8万人次[1]。",
}


def oracle(messages) -> str:
    """A scripted model that knows the right reply to each of QUESTIONS."""
    user = messages[-1]["content"]
    return next(REPLIES[q["id"]] for q in QUESTIONS if q["question"] in user)


# ---------------------------------------------------------------------------- fixtures

@pytest.fixture
def eval_settings(tmp_path: Path):
    from rag.config import load_settings

    return load_settings(env={}, overrides={
        "paths": {"data_dir": str(tmp_path), "index_dir": str(tmp_path / "idx")},
        "embedder": {"backend": "fake"},
        "generator": {"backend": "fake"},
        "answer": {"min_relevance": 0.0},
    })


@pytest.fixture
def eval_index(tmp_path: Path, eval_settings):
    from rag.embedders import FakeEmbedder
    from rag.indexing import open_index, update_index

    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in CORPUS.items():
        (folder / name).write_text(text, encoding="utf-8")
    update_index([folder], eval_settings, FakeEmbedder())
    return open_index(settings=eval_settings, embedder=FakeEmbedder())


@pytest.fixture
def pipeline_factory(eval_index, eval_settings):
    from rag.generators import FakeGenerator
    from rag.pipeline import Pipeline

    def make(script=oracle, **kw):
        return Pipeline(eval_index, FakeGenerator(script, **kw), eval_settings)

    return make


class Interrupting:
    """A pipeline wrapper that raises KeyboardInterrupt (Ctrl-C) on its n-th question."""

    def __init__(self, inner, at: int) -> None:
        self.inner, self.at, self.n = inner, at, 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def stream(self, question, history=None, **kw):
        self.n += 1
        if self.n == self.at:
            raise KeyboardInterrupt
        yield from self.inner.stream(question, history, **kw)


def _lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def _strip_timings(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "timings"} for r in rows]


def _asked(gen) -> list[str]:
    """The question of every generator call (the last line of the user message holds it)."""
    out = []
    for messages in gen.calls:
        user = messages[-1]["content"]
        out.append(next(q["question"] for q in QUESTIONS if q["question"] in user))
    return out


# ---------------------------------------------------------------------------- questions

def test_every_bad_line_is_reported_with_its_number(tmp_path):
    f = tmp_path / "questions.jsonl"
    f.write_text("\n".join([
        json.dumps({"id": "a", "question": "西宁在哪里？", "answers": ["青海"]}, ensure_ascii=False),
        json.dumps({"id": "b", "answers": ["x"]}),
        "{not json",
        "",
        json.dumps({"id": "c", "question": "问题？", "answers": "青海"}, ensure_ascii=False),
        json.dumps({"id": "a", "question": "又一个问题？"}, ensure_ascii=False),
        json.dumps({"question": "有答案吗？", "answerable": "yes"}, ensure_ascii=False),
        json.dumps({"question": "有答案吗？", "answers": [["甲"], "乙"]}, ensure_ascii=False),
        json.dumps({"question": "有答案吗？", "colour": 1}, ensure_ascii=False),
    ]) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_questions(f)
    msg = str(e.value)
    assert 'questions.jsonl:2: missing "question"' in msg
    assert "questions.jsonl:3: not valid JSON" in msg
    assert 'questions.jsonl:5: "answers" must be' in msg
    assert "questions.jsonl:6: duplicate id 'a'" in msg
    assert 'questions.jsonl:7: "answerable" must be true or false' in msg
    assert "questions.jsonl:8:" in msg and "questions.jsonl:9: unknown field" in msg
    assert "questions.jsonl:4" not in msg and "questions.jsonl:1:" not in msg
    logged = []
    good = load_questions(f, skip_invalid=True, log=logged.append)
    assert [q["id"] for q in good] == ["a"]
    assert "skipped 7 invalid" in logged[0]


def test_csv_with_json_and_pipe_lists(tmp_path):
    f = tmp_path / "q.csv"
    f.write_text('id,question,answers,sources,answerable\n'
                 'c1,西宁增长多少？,5.5%|百分之五点五,econ,true\n'
                 'c2,"篮球, 几支队？","[[""16支""], [""球队""]]","[""sport""]",\n'
                 'c3,量子计算？,,,false\n'
                 'c4,,x,,\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"q.csv:5: missing \"question\""):
        load_questions(f)
    qs = load_questions(f, skip_invalid=True)
    assert qs[0] == {"id": "c1", "question": "西宁增长多少？", "answers": ["5.5%", "百分之五点五"],
                     "sources": ["econ"], "answerable": True}
    assert qs[1]["answers"] == [["16支"], ["球队"]] and qs[1]["sources"] == ["sport"]
    assert qs[2]["answerable"] is False and qs[2]["answers"] == []


def test_generated_ids_are_stable_and_unique():
    a = load_questions([{"question": "西宁在哪里？"}, {"question": "西宁在哪里？"}, {"question": "别的？"}])
    b = load_questions([{"question": "别的？"}, {"question": "西宁在哪里？"}])
    assert a[0]["id"] != a[1]["id"] and a[1]["id"] == a[0]["id"] + "-2"
    assert a[2]["id"] == b[0]["id"] and a[0]["id"] == b[1]["id"]


def test_both_answer_shapes_and_chinese_aware_matching():
    assert answer_parts(["a", "b"]) == [["a", "b"]]
    assert answer_parts([["a"], ["b", "c"]]) == [["a"], ["b", "c"]]
    assert normalize_answer(" ＡＢｃ １２３\n% ") == "abc123%"
    # any one string of a flat list is enough
    assert match_answer("总值增长 5.5 %左右[1]。", ["5.5%", "五点五"])
    assert not match_answer("增长了很多。", ["5.5%"])
    # RGB shape: every part needed, any string satisfies a part; full-width digits fold
    answers = [["16支", "十六支"], ["西宁体育馆"]]
    assert match_answer("在西宁体育馆举行，共１６支球队。", answers)
    assert match_answer("在西宁 体育馆，十六支。", answers)
    assert not match_answer("共16支球队。", answers)
    assert not match_answer("任何回答", [])


@pytest.mark.parametrize("text, gold, ok", [
    ("植村秀有“洁颜油之父”的美誉[1]。", ["「洁颜油之父」"], True),   # corner brackets against curly quotes
    ("他被称为洁颜油之父。", ["「洁颜油之父」"], True),               # or none at all
    ("这条‘人道主义走廊’已开通。", ["“人道主义走廊”"], True),
    ("称为“油之父”。", ["「洁颜油之父」"], False),                   # the words still have to be there
    ("他被称为洁颜之父。", ["洁颜油之父"], False),
])
def test_quotation_marks_do_not_decide_a_match(text, gold, ok):
    assert match_answer(text, gold) is ok


@pytest.mark.parametrize("text, gold, ok", [
    ("共有十六支球队参赛。", ["16支"], True),  # one normaliser for figures, whatever the script
    ("大桥于二〇二三年建成。", ["2023年"], True),
    ("同比增长百分之五点五。", ["5.5%"], True),
    ("发放资料3000多份。", ["3000余份"], True),
    ("总书记三次考察青海。", ["3次"], True),
    ("总书记两次考察青海。", ["3次", "三次"], False),
    ("共有116支球队参赛。", ["16支"], False),  # a figure inside a longer one is no match
    ("共有16支球队参赛。", ["十六支"], True),
])
def test_matching_compares_figures_as_values(text, gold, ok):
    assert match_answer(text, gold) is ok


def test_report_imports_scoring_not_the_runner():
    import subprocess
    import sys

    code = "import sys, rag.report; print('rag.evaluation' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"


def test_percentile_interpolates_like_numpy():
    assert percentile([10, 20, 30, 40, 50], 50) == 30
    assert percentile([10, 20, 30, 40, 50], 95) == pytest.approx(48)
    assert percentile([5], 95) == 5 and percentile([], 50) is None


# ---------------------------------------------------------------------------- metrics by hand

def _hit(doc, text, rank):
    return {"doc_id": doc, "chunk_id": f"{doc}-{rank}", "title": doc, "text": text, "score": 1.0 / rank, "rank": rank}


HAND = [
    {"id": "r1", "answerable": True, "answers": ["5.5%"], "sources": ["econ"], "contexts_given": False,
     "hits": [_hit("eco", "完成国土绿化。", 1), _hit("econ", "生产总值增长5.5%左右。", 2)],
     "answer": "增长5.5%[1][3]。", "abstained": False, "prompt_hits": 2,
     "citations": [{"n": 1, "text": "完成国土绿化。", "span": [0, 3], "inferred": False},
                   {"n": 2, "text": "生产总值增长5.5%左右。", "span": [0, 12], "inferred": True}], "unsupported": [],
     "timings": {"retrieve_ms": 10, "ttft_ms": 100, "total_ms": 200, "tokens_per_s": 20, "prompt_tokens": 300,
                 "answer_tokens": 5}},
    {"id": "r2", "answerable": True, "answers": [["西宁"], ["16支", "十六支"]], "sources": ["sport"],
     "contexts_given": False, "hits": [_hit("sport", "西宁体育馆开幕，共有16支球队。", 1)],
     "answer": "西宁有１６支球队[1]。比赛很精彩。", "abstained": False, "prompt_hits": 1,
     "citations": [{"n": 1, "text": "西宁体育馆开幕，共有16支球队。", "span": [0, 8], "inferred": False}],
     "unsupported": ["比赛很精彩。"],
     "timings": {"retrieve_ms": 20, "ttft_ms": 300, "total_ms": 400, "tokens_per_s": 10, "prompt_tokens": 500,
                 "answer_tokens": 9, "question_fit_ms": 3600}},
    {"id": "r3", "answerable": True, "answers": ["三次"], "sources": ["a"], "contexts_given": False,
     "hits": [_hit("b", "无关内容。", 1)], "answer": "资料中没有找到这个问题的答案。", "abstained": True,
     "prompt_hits": 0, "citations": [], "unsupported": [],
     "timings": {"retrieve_ms": 30, "ttft_ms": 0, "total_ms": 30, "tokens_per_s": 0, "prompt_tokens": 0}},
    {"id": "r4", "answerable": False, "answers": [], "sources": [], "contexts_given": False,
     "hits": [_hit("b", "无关内容。", 1)], "answer": "资料中没有找到这个问题的答案。", "abstained": True,
     "prompt_hits": 1, "citations": [], "unsupported": [],
     "timings": {"retrieve_ms": 40, "ttft_ms": 500, "total_ms": 600, "tokens_per_s": 30, "prompt_tokens": 700,
                 "answer_tokens": 12}},
    {"id": "r5", "answerable": False, "answers": [], "sources": [], "contexts_given": False,
     "hits": [_hit("b", "无关内容。", 1)], "answer": "答案是42[9]。", "abstained": False, "prompt_hits": 3,
     "citations": [], "unsupported": ["答案是42。"],
     "timings": {"retrieve_ms": 50, "ttft_ms": 200, "total_ms": 300, "tokens_per_s": 40, "prompt_tokens": 100,
                 "answer_tokens": 4}},
    {"id": "r6", "answerable": True, "answers": ["X"], "sources": ["econ"], "contexts_given": True,
     "hits": [_hit("econ", "X在这里。", 1)], "answer": "X是答案", "abstained": False, "prompt_hits": 1,
     "citations": [], "unsupported": [],
     "timings": {"retrieve_ms": 0, "ttft_ms": 50, "total_ms": 100, "tokens_per_s": 50, "prompt_tokens": 200,
                 "answer_tokens": 3}},
]


def test_per_question_scores_by_hand():
    s = [score_result(r) for r in HAND]
    assert [x["source_rank"] for x in s] == [2, 1, None, None, None, None]
    assert [x["answer_rank"] for x in s] == [2, 1, None, None, None, 1]
    assert [x["correct"] for x in s] == [True, True, False, None, None, True]
    assert [x["false_refusal"] for x in s] == [False, False, True, None, None, False]
    assert [x["refusal_ok"] for x in s] == [None, None, None, True, False, None]
    assert (s[0]["citations_total"], s[0]["citations_valid"], s[0]["citation_valid"]) == (2, 1, 0.5)
    # r1's own marker points at the wrong chunk; the inferred citation shown for it holds the answer.
    assert [x["cited_chunk_has_answer"] for x in s] == [True, True, None, None, None, False]
    assert [x["marker_chunk_has_answer"] for x in s] == [False, True, None, None, None, False]
    assert [(x["unsupported"], x["sentences"]) for x in s] == [(0, 1), (1, 2), (None, None), (None, None),
                                                                (1, 1), (0, 1)]
    assert s[0]["answer_in_top1"] is False and s[0]["answer_in_top3"] is True


def test_every_metric_on_a_hand_computed_example():
    m = compute_metrics(HAND, k=5)
    assert m["counts"] == {"questions": 6, "answerable": 4, "unanswerable": 2, "with_sources": 3,
                           "with_answers": 4, "contexts_given": 1, "errors": 0}
    r = m["retrieval"]
    assert (r["hit@1"], r["hit@3"], r["hit@5"], r["hit@10"]) == (0.3333, 0.6667, 0.6667, 0.6667)
    assert r["mrr"] == 0.5  # (1/2 + 1/1 + 0) / 3; r6 gave its own contexts and is not counted
    assert r["answer_questions"] == 3
    assert (r["answer_in_top1"], r["answer_in_top3"], r["answer_in_top5"]) == (0.3333, 0.6667, 0.6667)
    a = m["answers"]
    assert (a["judged"], a["correct"], a["accuracy"]) == (4, 3, 0.75)
    assert a["false_refusal"] == 0.25  # r3 of r1, r2, r3, r6
    assert a["refusal_precision"] == 0.5  # abstained r3 (answerable), r4 (unanswerable)
    assert a["refusal_recall"] == 0.5  # r4 refused, r5 answered
    c = m["citations"]
    assert c["markers"] == 4 and c["valid"] == 0.5  # [1][3] of 2 given, [1] of 1, [9] of 3
    assert c["cited_chunk_has_answer"] == 0.6667  # r1 (inferred) and r2, of correct r1, r2, r6
    assert c["marker_chunk_has_answer"] == 0.3333  # r2 only
    assert c["unsupported_sentences"] == 0.4  # (0 + 1 + 1 + 0) / (1 + 2 + 1 + 1)
    t = m["latency"]
    assert (t["retrieve_ms_p50"], t["retrieve_ms_p95"]) == (30, 48)
    assert (t["total_ms_p50"], t["total_ms_p95"]) == (250, 550)
    assert (t["ttft_ms_p50"], t["ttft_ms_p95"]) == (200, 460)  # r3 never reached the model
    assert t["tokens_per_s_mean"] == 30 and t["generated"] == 5
    assert (t["prompt_tokens_p50"], t["prompt_tokens_mean"]) == (300, 360)
    assert (t["question_fit_measured"], t["question_fit_ms_p50"]) == (1, 3600)  # r2 only: the gate's open case


def test_answer_metrics_are_null_without_generation():
    rows = [{**r, "answer": None, "abstained": None} for r in HAND]
    m = compute_metrics(rows, k=3, generate=False)
    assert m["answers"] is None and m["citations"] is None
    assert m["retrieval"]["hit@3"] == 0.6667 and "answer_in_top3" in m["retrieval"]


# ---------------------------------------------------------------------------- running

def test_run_writes_results_metrics_and_report(tmp_path, pipeline_factory):
    p = pipeline_factory()
    rep = evaluate(QUESTIONS, p, out_dir=tmp_path / "run")
    out = tmp_path / "run"
    rows = _lines(out / "results.jsonl")
    assert [r["id"] for r in rows] == [q["id"] for q in QUESTIONS] == [r["id"] for r in rep.results]
    first = rows[0]
    for key in ("question", "answer", "abstained", "citations", "hits", "scores", "timings", "prompt_hits"):
        assert key in first
    assert [h["rank"] for h in first["hits"]] == list(range(1, len(first["hits"]) + 1))
    assert first["scores"]["source_rank"] == 1 and first["scores"]["correct"] is True
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics == rep.metrics
    assert metrics["models"] == {"embedder": "fake-bigram-256", "generator": "fake-generator"}
    assert metrics["settings"]["retrieval"]["k"] == metrics["k"] == p.settings.retrieval.k
    assert metrics["answers"]["accuracy"] == 1.0
    assert metrics["retrieval"]["hit@1"] == 1.0
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count("<tr class=") == len(QUESTIONS) and "<svg" in html
    assert json.loads((out / "run.json").read_text(encoding="utf-8"))["fingerprint"]["generate"] is True


def test_retrieval_only_never_loads_the_generator(tmp_path, eval_settings, eval_index, monkeypatch):
    import rag.generators
    from rag.indexing import Index

    def no_llm(*a, **kw):
        raise AssertionError("the LLM must not be loaded for a retrieval-only run")

    monkeypatch.setattr(rag.generators, "make_generator", no_llm)
    depths = []
    real = Index.retrieve

    def spy(self, question, k=None, **kw):
        depths.append(k)
        return real(self, question, k, **kw)

    monkeypatch.setattr(Index, "retrieve", spy)
    rep = evaluate(QUESTIONS, settings=eval_settings, out_dir=tmp_path / "r", generate=False, k=3)
    assert depths == [10] * len(QUESTIONS)  # hit@10 needs 10 hits whatever k is
    assert rep.metrics["answers"] is None and rep.metrics["citations"] is None
    assert rep.metrics["retrieval"]["hit@1"] == 1.0 and rep.metrics["retrieval"]["answer_in_top3"] == 1.0
    assert rep.metrics["models"] == {"embedder": "fake-bigram-256"}
    assert all(r["answer"] is None for r in rep.results)


def test_index_argument_overrides_the_settings(tmp_path, eval_settings, eval_index):
    import copy

    s = copy.deepcopy(eval_settings)
    s.paths.index_dir = tmp_path / "nowhere"
    rep = evaluate(QUESTIONS[:2], settings=s, index=tmp_path / "idx", generate=False)
    assert rep.out_dir is None and rep.metrics["counts"]["questions"] == 2


def test_resume_after_interruption_repeats_nothing(tmp_path, pipeline_factory):
    p = pipeline_factory()
    out = tmp_path / "a"
    with pytest.raises(KeyboardInterrupt):
        evaluate(QUESTIONS, Interrupting(p, at=3), out_dir=out)
    assert [r["id"] for r in _lines(out / "results.jsonl")] == ["q1", "q2"]
    assert len(p.generator.calls) == 2
    # power loss in the middle of writing the next line
    with open(out / "results.jsonl", "ab") as f:
        f.write(b'{"id": "q3", "question": "\xe9\x9d')
    rep = evaluate(QUESTIONS, p, out_dir=out)
    assert _asked(p.generator) == [q["question"] for q in QUESTIONS]  # each question once
    assert [r["id"] for r in rep.results] == [q["id"] for q in QUESTIONS]

    q = pipeline_factory()
    ref = evaluate(QUESTIONS, q, out_dir=tmp_path / "b")
    # Equal to an uninterrupted run, except the wall-clock timings of each line.
    assert _strip_timings(_lines(out / "results.jsonl")) == _strip_timings(_lines(tmp_path / "b" / "results.jsonl"))
    drop = lambda m: {k: v for k, v in m.items() if k != "latency"}  # noqa: E731
    assert drop(rep.metrics) == drop(ref.metrics)
    assert (out / "run.json").read_text() == (tmp_path / "b" / "run.json").read_text()
    # running the finished run again answers nothing new
    evaluate(QUESTIONS, p, out_dir=out)
    assert len(p.generator.calls) == len(QUESTIONS)


def test_a_run_with_other_settings_is_refused_then_overwritten(tmp_path, pipeline_factory):
    p = pipeline_factory()
    out = tmp_path / "run"
    evaluate(QUESTIONS[:2], p, out_dir=out, k=2)
    with pytest.raises(InputError, match=r"different settings \(changed: k.*--overwrite"):
        evaluate(QUESTIONS[:2], p, out_dir=out, k=3)
    with pytest.raises(InputError, match="questions"):
        evaluate(QUESTIONS[:3], p, out_dir=out, k=2)
    with pytest.raises(InputError, match="generate"):
        evaluate(QUESTIONS[:2], p, out_dir=out, k=2, generate=False)
    assert len(p.generator.calls) == 2
    rep = evaluate(QUESTIONS[:2], p, out_dir=out, k=3, overwrite=True)
    assert len(p.generator.calls) == 4 and rep.metrics["k"] == 3
    assert json.loads((out / "run.json").read_text())["fingerprint"]["k"] == 3
    assert len(_lines(out / "results.jsonl")) == 2


def test_results_without_run_file_are_not_mixed_in(tmp_path, pipeline_factory):
    out = tmp_path / "run"
    out.mkdir()
    (out / "results.jsonl").write_text('{"id": "q1"}\n')
    with pytest.raises(InputError, match="--overwrite"):
        evaluate(QUESTIONS[:1], pipeline_factory(), out_dir=out)


def test_contexts_bypass_retrieval(tmp_path, eval_settings):
    from rag.generators import FakeGenerator
    from rag.pipeline import Pipeline

    class NoIndex:
        manifest = {"embedder": "none", "chunks": 0}
        embedder = None

        def retrieve(self, *a, **kw):
            raise AssertionError("retrieval must not run when contexts are given")

    qs = [{"id": "c1", "question": "篮球联赛有几支球队？", "answers": ["16支"], "sources": ["given"],
           "contexts": [{"doc_id": "given", "title": "篮球", "text": "联赛共有16支球队参赛。"}, "第二段资料。"]}]
    gen = FakeGenerator()
    rep = evaluate(qs, Pipeline(NoIndex(), gen, eval_settings), out_dir=tmp_path / "c")
    r = rep.results[0]
    assert [h["doc_id"] for h in r["hits"]] == ["given", "context-2"]
    assert r["contexts_given"] and r["scores"]["correct"] is True
    assert "联赛共有16支球队参赛" in gen.calls[0][-1]["content"]
    assert rep.metrics["retrieval"]["questions"] == 0  # given contexts say nothing about retrieval
    only = evaluate(qs, Pipeline(NoIndex(), gen, eval_settings), generate=False)
    assert only.results[0]["hits"][0]["doc_id"] == "given"


def test_follow_up_history_reaches_the_model(tmp_path, pipeline_factory):
    p = pipeline_factory(lambda messages: "共有16支球队参赛[1]。")
    qs = [{"id": "h1", "question": "那篮球呢？", "answers": ["16支"], "sources": ["sport"],
           "history": [{"role": "user", "content": "青海省篮球联赛有多少支球队？"},
                       {"role": "assistant", "content": "共有16支球队[1]。"}]}]
    rep = evaluate(qs, p)
    assert any(m["content"] == "共有16支球队[1]。" for m in p.generator.calls[0])
    assert rep.results[0]["scores"]["source_rank"] == 1


def test_compare_runs_lists_changed_questions(tmp_path, pipeline_factory):
    a, b = tmp_path / "base", tmp_path / "new"
    evaluate(QUESTIONS, pipeline_factory(lambda messages: "答案是北京[1]。"), out_dir=a)
    evaluate(QUESTIONS, pipeline_factory(), out_dir=b)
    text = compare_runs(a, b)
    assert "answers.accuracy" in text and "+1" in text
    assert "became right: 5" in text and "became wrong: 0" in text and "  q1  " in text
    page = b / "compare_base.html"
    assert page.exists() and str(page) in text
    back = compare_runs(b, a)
    assert "became wrong: 5" in back and (a / "compare_new.html").exists()


def test_report_escapes_document_markup(tmp_path, eval_settings):
    from rag.embedders import FakeEmbedder
    from rag.generators import FakeGenerator
    from rag.indexing import open_index, update_index
    from rag.pipeline import Pipeline

    d = tmp_path / "evil"
    d.mkdir()
    (d / "evil.txt").write_text("西宁公告\n\n西宁公告<script>alert('x')</script>发布于三月。<b>粗体</b>", encoding="utf-8")
    update_index([d], eval_settings, FakeEmbedder())
    idx = open_index(settings=eval_settings, embedder=FakeEmbedder())
    qs = [{"id": "<i>x</i>", "question": "西宁公告<script>发布于几月？", "answers": ["三月"], "sources": ["evil"]}]
    evaluate(qs, Pipeline(idx, FakeGenerator(), eval_settings), out_dir=tmp_path / "r")
    html = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    assert html.count("<script>") == 1 and "<i>x</i>" not in html and "<b>粗体" not in html
    assert "<mark>" in html  # the supporting span of the cited chunk
    # self-contained: nothing is fetched (the generator's base_url shows up as text in the settings)
    assert "src=" not in html and "href=" not in html and "<link" not in html and "@import" not in html


def test_report_shows_why_an_answer_was_refused():
    from rag.report import render_report

    r = dict(HAND[3], reason="the question names 2022, which the supporting passages do not mention",
             draft="完成<b>3270308</b>万元[1]。")
    results = [r]
    html = render_report(compute_metrics(results, k=5), results)
    assert "refused: the question names 2022" in html
    assert "draft: 完成&lt;b&gt;3270308&lt;/b&gt;万元[1]。" in html and "<b>3270308" not in html


def test_a_citation_that_does_not_hold_proves_nothing():
    base = {"id": "x", "question": "q", "answers": ["5.5%"], "answerable": True, "answer": "增长5.5%[1]。",
            "abstained": False, "prompt_hits": 2, "hits": []}
    held = dict(base, citations=[{"n": 1, "text": "增长5.5%左右", "inferred": False, "holds": True}])
    not_held = dict(base, citations=[{"n": 1, "text": "增长5.5%左右", "inferred": False, "holds": False}])
    assert score_result(held)["cited_chunk_has_answer"] is True
    assert score_result(not_held)["cited_chunk_has_answer"] is False
    # Sentences are counted from the verified structure when the line carries it.
    line = dict(held, sentences=[{"text": "增长5.5%", "verdict": "supported"}, {"text": "是", "verdict": "none"}])
    assert score_result(line)["sentences"] == 1


def test_report_marks_unsupported_sentences_and_citations_that_do_not_hold():
    from rag.report import render_report

    r = {"id": "q1", "question": "多少支球队？", "answers": ["16支"], "answerable": True, "abstained": False,
         "answer": "共有16支球队[1]。冠军可能是广东队[1]。", "prompt_hits": 1, "hits": [],
         "citations": [{"n": 1, "doc_id": "d", "chunk_id": "c", "title": "t", "text": "共有16支球队参赛。",
                        "span": [0, 9], "support": 0.0, "inferred": False, "holds": False}],
         "sentences": [{"text": "共有16支球队。", "verdict": "supported", "problems": []},
                       {"text": "冠军可能是广东队。", "verdict": "unsupported", "problems": ["speculation: 可能"]}]}
    html = render_report(compute_metrics([r], k=5), [r])
    assert "unsupported: 冠军可能是广东队。 (speculation: 可能)" in html and "does not hold" in html


def test_results_record_the_models_refusal_prob(tmp_path, pipeline_factory):
    """The evaluation records the signal for every generated answer, so a limit can be calibrated."""
    rep = evaluate(QUESTIONS[:3], pipeline_factory(doubt=0.125), out_dir=tmp_path / "run")
    rows = _lines(tmp_path / "run" / "results.jsonl")
    shown = [r for r in rows if r["abstained"] is False]
    assert shown and all(r["refusal_prob"] == 0.125 for r in shown)
    assert all(not r["abstained"] for r in rep.results[:1])  # 0.125 is under the default limit (0.15)
