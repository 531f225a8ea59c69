"""Each bench script runs in --quick mode (fake embedder) and writes one JSON object of the documented shape.

No timing is asserted: the figures themselves are the benchmarks' business (bench/README.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MACHINE_KEYS = {"cpu", "logical_cores", "physical_cores", "ram_gib", "python", "torch", "faiss"}


def _run(script: str, tmp_path: Path, *args: str) -> dict:
    out = tmp_path / f"{script}.json"
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / f"{script}.py"), "--quick", "--out", str(out), *args],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, "stdout must be exactly one JSON object"
    printed = json.loads(lines[0])
    assert json.loads(out.read_text(encoding="utf-8")) == printed
    assert MACHINE_KEYS <= set(printed["machine"])
    assert printed["quick"] is True
    return printed


@pytest.mark.slow
def test_index_bench_shape(tmp_path):
    r = _run("index", tmp_path)
    assert r["benchmark"] == "index" and r["batch_size"] >= 1
    assert r["datasets"]["seeds"]["chunks"] > 0 and r["datasets"]["seeds"]["bare"]["chunks_per_s"] > 0
    run = r["runs"][0]
    for key in ("index_chunks_per_s", "embed_chunks_per_s", "outside_embedding_share", "index_vs_bare_fp32",
                "index_s", "embed_s", "model_id", "runtime", "dataset"):
        assert key in run
    assert 0.0 <= run["outside_embedding_share"] <= 1.0
    assert set(r["speedup"]["seeds"]) == {run["runtime"]}


@pytest.mark.slow
def test_search_bench_shape(tmp_path):
    r = _run("search", tmp_path)
    assert r["benchmark"] == "search"
    # The BM25 matrix the bench assembles directly equals what Bm25Index.build computes.
    assert r["bm25_check_max_abs_diff"] < 1e-3
    assert set(r["sizes"]) == {"500", "2000"}
    for size, entry in r["sizes"].items():
        assert entry["chunks"] == int(size)
        assert entry["disk_bytes_per_chunk"]["total"] > 0
        assert {"index_open", "per_chunk_bytes"} <= set(entry["rss_mib"])
        assert {"flat", "ivf", "hnsw"} <= set(entry["kinds"])
        for kind, stats in entry["kinds"].items():
            for stage in ("embed", "dense", "bm25", "fusion", "search"):
                assert {"p50_ms", "p95_ms"} <= set(stats[stage])
            if kind != "flat":
                assert 0.0 <= stats["recall_at_10"] <= 1.0


def test_fusion_bench_shape(tmp_path):
    r = _run("fusion", tmp_path)
    assert r["benchmark"] == "fusion" and r["questions"] == 10
    configs = r["configurations"]
    assert {"dense only", "BM25 only", "equal RRF", "lexical + title (default)"} <= set(configs)
    assert all(0 <= c["hit@1"] <= c["hit@5"] <= 100 for c in configs.values())


def test_trim_bench_counts_answers_kept_by_the_kind_bonus(tmp_path):
    # One saved retrieval run, one question: its answer sits in a clause that repeats none of the
    # question's words, so plain trimming cuts it and the kind bonus keeps it.
    text = '上铁法院透露，目前受理的案件中，申请破产的大多为小微企业，占比达87.7%。考虑到小微企业自身特点，法院通过数字赋能优化流程管理，创新机制流程简化审理方式，如缩短申报时间、简化财产处置、督促管理人多项工作并进等举措，使无生命力的小微企业快速出清，降低其破产审判成本。在已结的245件民营企业破产案件中，45件符合适用简化审条件的案件实现快速审结，占比18.4%，平均审理天数129天，最短的53天审结，为企业迅速化解债务，实现快速出清提供了保障。同时，法院充分发挥破产保护和拯救功能挽救有运营价值的小微企业，近年来通过重整和解使得16家小微企业得以存续。'  # a crud_news passage, whole
    run = tmp_path / "run"
    run.mkdir()
    row = {"id": "q1", "question": "上铁法院受理的破产案件里小微企业占比多少", "answerable": True,
           "answers": ["87.7%"], "hits": [{"text": text}]}
    (run / "results.jsonl").write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    out = tmp_path / "trim.json"
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "trim.py"), "--run", f"one={run}", "--bonus", "0", "3",
                           "--out", str(out)], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    r = json.loads(out.read_text(encoding="utf-8"))
    assert MACHINE_KEYS <= set(r["machine"])
    assert r["by_bonus"]["0"]["one"]["kept"] == 0 and r["by_bonus"]["3"]["one"]["kept"] == 1
    assert r["by_bonus"]["3"]["all"]["questions"] == 1


def test_relevance_gate_table_counts_what_a_higher_gate_takes_and_adds():
    from bench.relevance_gate import table

    recs = [
        {"kind": "answerable", "dense_top": 0.861, "shown": True, "correct": True},
        {"kind": "answerable", "dense_top": 0.875, "shown": True, "correct": True},
        {"kind": "answerable", "dense_top": 0.866, "shown": False, "correct": False},
        {"kind": "offtopic", "dense_top": 0.858, "shown": True, "correct": False},
        {"kind": "offtopic", "dense_top": 0.880, "shown": True, "correct": False},
        {"kind": "offtopic", "dense_top": 0.840, "shown": False, "correct": False},
        {"kind": "nearmiss", "dense_top": 0.869, "shown": True, "correct": False},
    ]
    rows = table(recs, thresholds=(0.85, 0.87))
    low, high = rows["0.85"], rows["0.87"]
    assert (low["answerable_below"], low["correct_lost"], low["offtopic_refused"], low["nearmiss_refused"]) == (0, 0, 1, 0)
    # At 0.87 one correct answer is lost; one wrong answer was refused anyway (not a loss).
    assert (high["answerable_below"], high["correct_lost"]) == (2, 1)
    assert (high["offtopic_refused"], high["offtopic_refused_as_run"], high["nearmiss_refused"]) == (2, 1, 1)
    assert high["correct"] == 2 and high["offtopic"] == 3 and high["nearmiss"] == 1


def test_kind_retry_names_the_missing_kind_and_counts_only_what_the_retry_changes():
    from bench.kind_retry import _kind_word, table

    assert _kind_word("the question asks for a count of 人 and the answer gives none") == "数量（多少人）"
    assert _kind_word("the question asks for a date and the answer gives none") == "日期"
    assert _kind_word("no sentence of the answer is supported by its sources") is None
    recs = [
        {"answerable": True, "same_text": False, "shown": True, "correct": True, "correct_without_retry": False,
         "shown_without_retry": False},
        {"answerable": True, "same_text": True, "shown": True, "correct": True, "correct_without_retry": True,
         "shown_without_retry": True},  # today's checks pass the draft already: no gain of the retry
        {"answerable": False, "same_text": False, "shown": True, "correct": False, "correct_without_retry": False,
         "shown_without_retry": False},
    ]
    got = table(recs)
    assert (got["correct_gained"], got["correct_without_retry"], got["unanswerable_shown"], got["same_text"]) == (1, 1, 1, 1)


def test_self_check_reads_the_passage_around_the_citations_that_hold():
    from bench.self_check import auc, label, passage_text

    text = "甲" * 100 + "关键句。" + "乙" * 100
    row = {"hits": [{"chunk_id": "c1", "text": text}, {"chunk_id": "c2", "text": "无关"}],
           "citations": [{"chunk_id": "c1", "span": [100, 104], "holds": True},
                         {"chunk_id": "c2", "span": [0, 2], "holds": False}]}
    got = passage_text(row, around=5)
    assert got == "甲" * 5 + "关键句。" + "乙" * 5  # the citation that does not hold is not read
    assert label({"answerable": True, "scores": {"correct": True}}, "answerable") == "correct"
    assert label({"answerable": True, "scores": {"correct": False}}, "answerable") == "wrong"
    assert label({"answerable": False}, "offtopic") == "offtopic"
    assert auc([0.9, 0.8], [0.1, 0.85]) == 0.75 and auc([], [0.1]) is None


def test_prompt_chunks_bench_times_both_sides(tmp_path):
    r = _run("prompt_chunks", tmp_path, "--k", "3")
    assert r["benchmark"] == "prompt_chunks" and r["questions"] == 3
    # One more chunk in the prompt is more prompt tokens, question by question.
    assert all(row["prompt_tokens_k4"] > row["prompt_tokens_k3"] for row in r["rows"])
    assert r["k3"]["ttft_ms"]["p50"] is not None and r["ttft_ratio_p50"] > 0


def test_draft_ceiling_counts_right_drafts_a_check_refused(tmp_path):
    # Four answerable results: shown and correct, shown and wrong, a refused draft holding the gold
    # answer in another script (三次 for 3次), and the model's own refusal (no draft).
    rows = [
        {"id": "a", "answers": ["3次"], "abstained": False, "scores": {"correct": True}},
        {"id": "b", "answers": ["3次"], "abstained": False, "scores": {"correct": False}},
        {"id": "c", "answers": ["3次"], "abstained": True, "draft": "他一共去了三次[1]。", "scores": {}},
        {"id": "d", "answers": ["3次"], "abstained": True, "draft": "", "scores": {}},
        {"id": "e", "answers": ["3次"], "abstained": True, "draft": "他去了两次[1]。", "scores": {}},
    ]
    run = tmp_path / "run" / "answerable"
    run.mkdir(parents=True)
    (run / "results.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "ceiling.json"
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "draft_ceiling.py"), str(tmp_path / "run"),
                           "--out", str(out)], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    pooled = json.loads(out.read_text(encoding="utf-8"))["pooled"]
    assert (pooled["correct"], pooled["wrong_shown"], pooled["right_draft_refused"], pooled["no_draft"],
            pooled["wrong_draft_refused"]) == (1, 1, 1, 1, 1)
    assert pooled["accuracy"] == 0.2 and pooled["ceiling"] == 0.4


def test_translate_english_counts_and_question_list(tmp_path):
    from bench.translate_english import english_questions, table

    (tmp_path / "eval").mkdir()
    (tmp_path / "eval" / "a.jsonl").write_text(
        '{"id": "e1", "question": "Who founded Xinhua Bookstore (新华书店)?"}\n'
        '{"id": "z1", "question": "新华书店是谁创办的？"}\n'
        '{"id": "e2", "question": "Who founded Xinhua Bookstore (新华书店)?"}\n'
        'not json\n', encoding="utf-8")
    assert english_questions(tmp_path) == [("e1", "Who founded Xinhua Bookstore (新华书店)?")]
    rows = [{"first": "谁创办了新华书店？", "retried": False, "retry": None},
            {"first": None, "retried": True, "retry": "哪一年改名？"},
            {"first": None, "retried": True, "retry": None}]
    t = table(rows)
    assert (t["questions"], t["usable_first"], t["retried"], t["usable_after_retry"]) == (3, 1, 2, 1)
    assert t["untranslated"] == [rows[2]]


def test_the_score_cache_runs_the_model_once_per_text_and_keeps_its_scores(tmp_path):
    """bench/scorecache.py: re-judging an archive scores each (messages, text) once, ever."""
    from bench.scorecache import ScoreCache
    from rag.generators import FakeGenerator

    seen = []
    model = FakeGenerator(likelihood=lambda m, t: seen.append(t) or [-1.0] * len(t))
    path = tmp_path / "scores.json"
    cache = ScoreCache(path, generator=model, archived=None)
    msgs = [{"role": "user", "content": "资料"}]
    assert cache.continuation_logprobs(msgs, "谁？") == [-1.0, -1.0]
    assert cache.continuation_logprobs(msgs, "谁？") == [-1.0, -1.0] and seen == ["谁？"]
    cache.save()
    again = FakeGenerator(likelihood=ScoreCache(path, generator=model).continuation_logprobs)  # as recheck.py
    assert again.continuation_logprobs(msgs, "谁？") == [-1.0, -1.0] and seen == ["谁？"]  # from disk
    assert again.continuation_logprobs(msgs, "哪？") == [-1.0, -1.0] and seen == ["谁？", "哪？"]
    other = FakeGenerator(likelihood=(-2.0,))
    other.model_id = "another-model"
    with pytest.raises(SystemExit, match="holds scores of fake-generator"):
        ScoreCache(path, generator=other).continuation_logprobs(msgs, "新？")


def test_a_missing_score_cache_starts_from_the_archived_scores(tmp_path):
    """A new machine has no runs/: the cache starts from the gzipped scores kept in eval/runs/."""
    import gzip
    import json

    from bench.scorecache import ScoreCache
    from rag.generators import FakeGenerator

    seen = []
    model = FakeGenerator(likelihood=lambda m, t: seen.append(t) or [-3.0] * len(t))
    msgs = [{"role": "user", "content": "资料"}]
    first = ScoreCache(tmp_path / "old.json", generator=model, archived=None)
    first.continuation_logprobs(msgs, "谁？")
    first.save()
    archived = tmp_path / "scores.json.gz"
    archived.write_bytes(gzip.compress((tmp_path / "old.json").read_bytes()))
    fresh = ScoreCache(tmp_path / "new.json", generator=model, archived=archived)
    assert fresh.continuation_logprobs(msgs, "谁？") == [-3.0, -3.0] and seen == ["谁？"]  # not scored again
    assert ScoreCache(tmp_path / "none.json", generator=model, archived=tmp_path / "absent.gz").scores == {}
    assert json.loads((tmp_path / "old.json").read_text())["scores"]
