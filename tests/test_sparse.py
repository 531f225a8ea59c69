import math

from rag.sparse import Bm25Index, tokenize


def test_numbers_stay_whole():
    toks = tokenize("地区生产总值增长5.5%左右，接待游客3161.8万人次，实施“1964+N”工程")
    assert "5.5%" in toks
    assert "3161.8" in toks
    assert "1964+n" in toks


def test_stopwords_dropped_and_fullwidth_folded():
    toks = tokenize("西宁的ＧＤＰ是多少？")
    assert "的" not in toks and "多少" not in toks
    assert "gdp" in toks
    assert "西宁" in toks


def test_search_mode_gives_subwords():
    toks = tokenize("中华人民共和国")
    assert "中华人民共和国" in toks and "共和国" in toks


def _reference_bm25(docs, query, k1=1.2, b=0.75):
    n = len(docs)
    avg = sum(len(d) for d in docs) / n
    out = []
    for d in docs:
        s = 0.0
        for t in set(query):
            df = sum(1 for x in docs if t in x)
            if not df:
                continue
            idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
            tf = d.count(t)
            s += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(d) / avg))
        out.append(s)
    return out


def test_bm25_matches_reference_implementation():
    docs = [["西宁", "生态", "保护"], ["西宁", "经济", "增长", "增长"], ["篮球", "联赛"], ["生态", "旅游", "西宁", "旅游"]]
    idx = Bm25Index().build(docs)
    for q in (["西宁", "增长"], ["旅游"], ["生态", "西宁"], ["没有"]):
        ref = _reference_bm25(docs, q)
        got = idx.scores(q)
        assert all(abs(a - b) < 1e-5 for a, b in zip(ref, got)), (q, ref, list(got))


def test_bm25_save_load_roundtrip(tmp_path):
    idx = Bm25Index().build([["a", "b"], ["b", "c"]])
    idx.save(tmp_path)
    again = Bm25Index.load(tmp_path)
    assert again.search(["c"], 2) == idx.search(["c"], 2)
    assert again.search(["c"], 2)[0][0] == 1


def test_coverage_is_the_share_of_the_questions_idf_mass_hand_computed():
    import math

    from rag.sparse import Bm25Index

    idx = Bm25Index().build([["a", "b"], ["a", "c"], ["d"]])
    # idf(a) = ln(1 + 1.5 / 2.5) = 0.470004, idf(b) = ln(1 + 2.5 / 1.5) = 0.980829; "x" is unknown.
    got = idx.coverage(["a", "b", "x", "a"], [0, 1, 2])
    a, b = math.log(1 + 1.5 / 2.5), math.log(1 + 2.5 / 1.5)
    assert [round(g, 6) for g in got] == [1.0, round(a / (a + b), 6), 0.0]
    assert idx.coverage(["x"], [0, 1]) == [0.0, 0.0] and idx.coverage(["a"], []) == []


def test_chunk_count_counts_chunks_not_occurrences():
    idx = Bm25Index().build([["calc", "calc", "filter"], ["calc"], ["writer"]])
    assert idx.chunk_count("calc") == 2
    assert idx.chunk_count("writer") == 1
    assert idx.chunk_count("draw") == 0
    assert Bm25Index().build([]).chunk_count("calc") == 0
