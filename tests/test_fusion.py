from rag.fusion import fuse_rankings


def test_rrf_hand_computed():
    # dense: a, b, c ; bm25: b, d  with rrf_k = 10 and equal weights
    out = fuse_rankings({"dense": [(1, 0.9), (2, 0.8), (3, 0.7)], "bm25": [(2, 5.0), (4, 3.0)]}, rrf_k=10)
    got = {i: round(s, 6) for i, s, _, _ in out}
    assert got == {2: round(1 / 12 + 1 / 11, 6), 1: round(1 / 11, 6), 4: round(1 / 12, 6), 3: round(1 / 13, 6)}
    assert [i for i, *_ in out] == [2, 1, 4, 3]
    ranks = {i: r for i, _, r, _ in out}
    assert ranks[2] == {"dense": 2, "bm25": 1}
    assert out[0][3] == {"dense": 0.8, "bm25": 5.0}


def test_weights_change_the_winner():
    rankings = {"dense": [(1, 0.9), (2, 0.8)], "bm25": [(2, 4.0), (1, 3.0)]}
    assert fuse_rankings(rankings, {"dense": 1.0, "bm25": 2.0}, rrf_k=60)[0][0] == 2
    assert fuse_rankings(rankings, {"dense": 2.0, "bm25": 1.0}, rrf_k=60)[0][0] == 1


def test_ties_are_deterministic():
    out = fuse_rankings({"a": [(5, 1.0)], "b": [(3, 1.0)]}, rrf_k=60)
    assert [i for i, *_ in out] == [3, 5]


def test_title_ranking_prefers_the_page_named_by_the_question():
    from rag.fusion import title_ranking

    titles = {1: "异齿前肛鳗", 2: "前肛鳗", 3: "鳗鱼", 4: "雅芳河 (布里斯托)", 5: "龙烟铁路", 6: "德龙烟铁路"}
    order = [1, 3, 2, 4, 5, 6]
    assert title_ranking("前肛鳗属于什么科？", titles, order) == [(2, 3.0)]  # not 异齿前肛鳗, not 鳗鱼
    # The longest title named wins; a trailing qualifier may be left out.
    assert [i for i, _ in title_ranking("德龙烟铁路经过哪些地方？", titles, order)] == [6, 5]
    assert title_ranking("雅芳河的发源地是哪里？", titles, order) == [(4, 3.0)]
    assert title_ranking("西宁地区生产总值增长多少？", titles, order) == []


def test_title_ranking_moves_the_named_page_first(tmp_path, settings, fake_embedder):
    from rag.indexing import open_index, update_index

    d = tmp_path / "pages"
    d.mkdir()
    # The neighbour page mentions the subject more often than the subject's own page does.
    (d / "pages.jsonl").write_text(
        '{"doc_id": "a", "title": "异齿前肛鳗", "text": "异齿前肛鳗是前肛鳗的近亲，前肛鳗属的鱼类，体长约20厘米。"}\n'
        '{"doc_id": "b", "title": "前肛鳗", "text": "本种属于前肛鳗科，体长可达30厘米，以小鱼为食。"}\n', encoding="utf-8")
    update_index([d], settings, fake_embedder)
    index = open_index(settings=settings, embedder=fake_embedder)
    settings.retrieval.title_weight = 0.0
    without = index.search("前肛鳗的体长是多少？", k=2)
    settings.retrieval.title_weight = 1.0
    with_title = index.search("前肛鳗的体长是多少？", k=2)
    assert without[0].chunk.doc_id == "a"  # otherwise this test proves nothing
    assert with_title[0].chunk.doc_id == "b" and with_title[0].ranks["title"] == 1


def test_lexical_weights_hand_computed():
    from rag.fusion import lexical_weights

    # lead 0.65: 20 * (0.65 - 0.2) = 9 is past ln 30, so the ratio is the cap, 30.
    w = lexical_weights(0.9, 0.25)
    assert round(w["bm25"], 6) == round(60 / 31, 6) and round(w["dense"], 6) == round(2 / 31, 6)
    assert lexical_weights(0.5, 0.3) == {"dense": 1.0, "bm25": 1.0}  # lead at the pivot: equal
    # lead 0.25: ratio e^(20 * 0.05) = e.
    w = lexical_weights(0.35, 0.1)
    assert round(w["bm25"], 6) == 1.462117 and round(w["dense"], 6) == 0.537883
    # lead 0.1: ratio e^-2, dense leads.
    w = lexical_weights(0.4, 0.3)
    assert round(w["dense"], 6) == 1.761594 and round(w["bm25"], 6) == 0.238406
    # the same words in both best chunks (lead 0): e^-4 is past the cap, so 1/30.
    w = lexical_weights(0.6, 0.6)
    assert w == lexical_weights(0.0, 1.0)
    assert round(w["dense"], 9) == round(60 / 31, 9) and round(w["bm25"], 9) == round(2 / 31, 9)


def _cfg(**kw):
    from dataclasses import replace

    from rag.config import RetrievalSettings

    return replace(RetrievalSettings(), **kw)


DENSE = [(1, 0.9), (2, 0.8)]
BM25 = [(3, 5.0), (4, 4.0)]


def _fuse(cover, **kw):
    from rag.fusion import fuse_retrievers

    return fuse_retrievers("问题", DENSE, BM25, _cfg(**kw), coverage=lambda rows: [cover[i] for i in rows],
                           titles=lambda rows: {i: "" for i in rows})


def test_fuse_retrievers_follows_the_retriever_whose_best_chunk_holds_the_words():
    # BM25's best chunk holds 0.9 of the question's idf mass, dense's 0.2: BM25 leads (ratio 30).
    out = _fuse({1: 0.2, 2: 0.2, 3: 0.9, 4: 0.5})
    assert [i for i, *_ in out] == [3, 4, 1, 2]
    assert round(out[0][1], 6) == round(60 / 31 / 61, 6) and round(out[2][1], 6) == round(2 / 31 / 61, 6)
    # Both best chunks hold the same words: the dense ranking leads.
    assert [i for i, *_ in _fuse({1: 0.5, 2: 0.5, 3: 0.5, 4: 0.5})] == [1, 2, 3, 4]
    # Fixed equal weights: 1 and 3 tie at 1/61, broken by item id.
    assert [i for i, *_ in _fuse({}, fusion="fixed", sparse_weight=1.0)] == [1, 3, 2, 4]


def test_fuse_retrievers_without_bm25_hits_or_coverage():
    from rag.fusion import fuse_retrievers

    out = fuse_retrievers("问题", DENSE, [], _cfg(), coverage=lambda rows: [1.0] * len(rows),
                          titles=lambda rows: {i: "" for i in rows})
    assert [i for i, *_ in out] == [1, 2] and round(out[0][1], 6) == round(60 / 31 / 61, 6)
    # A backend without coverage fuses with the fixed weights (dense 1, BM25 2).
    out = fuse_retrievers("问题", DENSE, BM25, _cfg(), coverage=None, titles=lambda rows: {i: "" for i in rows})
    assert [i for i, *_ in out] == [3, 4, 1, 2] and round(out[0][1], 6) == round(2 / 61, 6)


def test_title_ranking_speaks_as_loud_as_the_weaker_retriever():
    from rag.fusion import fuse_retrievers

    titles = {1: "甲", 2: "乙", 3: "丙", 4: "乙站"}
    cover = {1: 0.6, 2: 0.6, 3: 0.6, 4: 0.6}  # lead 0: dense leads, weights 60/31 and 2/31

    def fuse(**kw):
        return fuse_retrievers("乙站在哪里？", DENSE, BM25, _cfg(**kw), coverage=lambda rows: [cover[i] for i in rows],
                               titles=lambda rows: {i: titles[i] for i in rows})

    out = fuse()
    # 乙站 (BM25 rank 2, title rank 1): (2/31)/62 + (2/31)/61 reorders it above BM25's first,
    # not above the leading dense ranking's chunks.
    assert [i for i, *_ in out] == [1, 2, 4, 3] and out[2][2] == {"bm25": 2, "title": 1}
    assert round(out[2][1], 6) == round(2 / 31 / 62 + 2 / 31 / 61, 6)
    # With the fixed weights (dense 1, BM25 2, title 1) the title and BM25 outvote dense.
    assert [i for i, *_ in fuse(fusion="fixed")] == [4, 3, 1, 2]
