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
