"""Many callers at once on one pipeline: each gets its own answer, and memory stays flat."""

from __future__ import annotations

import gc
import threading
import tracemalloc

QUESTIONS = {
    "西宁地区生产总值增长多少？": "econ",
    "青海省篮球联赛有多少支球队参赛？": "sport",
    "空气质量优良天数比例是多少？": "eco",
}


def test_concurrent_callers_get_their_own_answers(make_pipeline, settings):
    # The scripted reply echoes the question back, so a mixed-up answer is detectable. An echo
    # answers nothing, so the scope check and the support threshold (which would refuse it: support
    # counts only what an answer adds to the question) are off here.
    settings.answer.check_scope = False
    settings.answer.support_threshold = 0.0
    pipeline = make_pipeline(lambda messages: messages[-1]["content"].split("\n")[0] + "[1]", delay_s=0.001)
    errors: list[str] = []

    def worker(q: str, doc: str) -> None:
        for _ in range(10):
            a = pipeline.ask(q)
            if q not in a.text or a.hits[0].chunk.doc_id != doc:
                errors.append(f"{q} -> {a.text[:40]} / {a.hits[0].chunk.doc_id}")

    threads = [threading.Thread(target=worker, args=item) for item in QUESTIONS.items() for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    assert len(pipeline.generator.calls) == 60  # generation is serialised, never skipped


def test_memory_does_not_grow_across_200_questions(make_pipeline):
    pipeline = make_pipeline()
    qs = list(QUESTIONS)
    for i in range(20):  # warm up caches (jieba, prompt templates)
        pipeline.ask(qs[i % 3])
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    for i in range(200):
        pipeline.ask(qs[i % 3])
    gc.collect()
    grown = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    # The fake generator keeps every prompt it received (~2 KB each); allow for that and no more.
    assert grown < 200 * 4096 + 256 * 1024, grown
