"""rag.dedup: MinHash near-duplicates on shapes from crud_news, folding in a hit list."""

from __future__ import annotations

from rag.dedup import duplicate_share, fold, groups, signature, similarity, story_text
from rag.types import Chunk, Hit

STORY = ("国家防总副总指挥、水利部部长李国英15日主持水利部专题会商会议时表示，以确保城乡居民饮水安全、确保规模化养殖和"
         "大牲畜用水安全、保障灌区农作物时令灌溉用水需求为目标，全力做好内蒙古、宁夏、甘肃、青海4省区抗旱保供水工作。"
         "会议要求，加强监测预报预警，科学精细调度水利工程，千方百计保障群众饮水安全。")
REPRINT = "2023-08-16 09:12，正文：原标题：水利部部署抗旱保供水  " + STORY.replace("15日", "8月15日")
# The same template filled in for two companies: wording shared, facts not.
TEMPLATE_A = ("股票行情快报：创业环保（600874）8月3日主力资金净卖出108.48万元截至2023年8月3日收盘，创业环保(600874)报收于6.1元，"
              "上涨0.16%，换手率0.41%，成交量5.88万手，成交额3596.77万元。8月3日的资金流向数据方面，主力资金净流出108.48万元。")
TEMPLATE_B = ("股票行情快报：海峡环保（603817）8月14日主力资金净卖出98.82万元截至2023年8月14日收盘，海峡环保(603817)报收于6.37元，"
              "上涨1.43%，换手率0.78%，成交量1.75万手，成交额1113.42万元。8月14日的资金流向数据方面，主力资金净流出98.82万元。")


def test_story_text_drops_header_label_and_spaces():
    assert story_text("2023-08-16 09:12，正文：原标题：标题 正文 内容") == "标题正文内容"


def test_signatures_are_deterministic_and_estimate_similarity():
    assert (signature(STORY) == signature(STORY)).all()
    assert similarity(signature(STORY), signature(REPRINT)) >= 0.6
    assert similarity(signature(TEMPLATE_A), signature(TEMPLATE_B)) < 0.6
    assert similarity(signature(STORY), signature(TEMPLATE_A)) < 0.1


def test_groups_join_reprints_not_templates_nor_distant_days():
    sigs = {"a": signature(STORY), "b": signature(REPRINT), "c": signature(TEMPLATE_A), "d": signature(TEMPLATE_B),
            "e": signature(STORY + "（完）")}
    g = groups(sigs, 0.6)
    assert g == {"a": "a", "b": "a", "e": "a"}
    # the same text published a week apart is a later report, not a reprint
    g = groups(sigs, 0.6, {"a": "2023-08-15", "b": "2023-08-16", "e": "2023-08-25"})
    assert g == {"a": "a", "b": "a"}


def _hit(doc: str, rank: int) -> Hit:
    return Hit(chunk=Chunk(f"{doc}-{rank}", doc, "t", 0, 1, doc), score=1.0 / rank, rank=rank)


def test_fold_keeps_the_best_ranked_copy_and_lists_the_others():
    hits = [_hit("a", 1), _hit("b", 2), _hit("x", 3), _hit("a", 4), _hit("e", 5), _hit("y", 6)]
    group_of = {"a": "a", "b": "a", "e": "a"}
    out = fold(hits, group_of, 4)
    assert [h.chunk.doc_id for h in out] == ["a", "x", "a", "y"]  # a's own second chunk stays
    assert out[0].duplicates == ("b", "e") and out[1].duplicates == ()
    assert [h.rank for h in out] == [1, 2, 3, 4]
    assert duplicate_share([hits], group_of, k=5) == 2 / 5
    assert duplicate_share([out], group_of, k=5) == 0.0
