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
