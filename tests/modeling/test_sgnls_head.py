"""SGNLS's masked-token Transformer: the §6 sequence layout, the loss masking and weighting, the
per-box averaging, and the parameter count against the reference's layer shapes."""
import math

import pytest
import torch

from sgg_bench.modeling.blocks.pair_sequences import (TEXT_LENGTH, average_over_pairs, detector_tags, region_geometry,
                                                      region_type_ids, text_token_ids)
from sgg_bench.modeling.heads.sgnls import SgnlsHead
from sgg_bench.modeling.sgnls_loss import sgnls_losses, weighted_cross_entropy

SMALL = dict(hidden_dim=8, num_layers=1, num_heads=2, inner_dim=16, embed_dim=5, max_positions=8, dropout=0.0)


def test_text_tokens_are_cls_subject_mask_object_sep():
    tags = torch.tensor([3, 1, 2])
    pairs = torch.tensor([[0, 1], [2, 0]])
    ids = text_token_ids(tags, pairs, num_tag_classes=4)     # CLS = 4, SEP = 5, MASK = 6
    assert ids.tolist() == [[4, 3, 6, 1, 5], [4, 2, 6, 3, 5]]


def test_region_type_ids_mark_subject_and_object():
    types = region_type_ids(4, torch.tensor([[2, 0], [1, 3]]))
    assert types.tolist() == [[3, 1, 2, 1], [1, 2, 1, 3]]


def test_region_geometry_by_hand():
    geometry = region_geometry(torch.tensor([[10.0, 20.0, 30.0, 60.0]]), (100, 50))   # H = 100, W = 50
    expected = [0.2, 0.2, 0.6, 0.6, 0.4, 0.4, 0.16]
    assert geometry[0].tolist() == pytest.approx(expected)


def test_tags_ignore_the_background_column():
    dists = torch.tensor([[0.9, 0.05, 0.05], [0.2, 0.3, 0.5]])
    assert detector_tags(dists).tolist() == [1, 2]


def test_average_over_pairs_by_hand():
    pairs = torch.tensor([[0, 1], [1, 0], [0, 2]])
    subject = torch.tensor([[1.0, 0.0], [2.0, 2.0], [3.0, 0.0]])
    obj = torch.tensor([[0.0, 4.0], [6.0, 0.0], [0.0, 9.0]])
    mean = average_over_pairs(subject, obj, pairs, num_boxes=4)
    # box 0: subject of pairs 0, 2 and object of pair 1 -> ([1,0] + [3,0] + [6,0]) / 3
    assert mean[0].tolist() == pytest.approx([10 / 3, 0.0])
    assert mean[1].tolist() == pytest.approx([1.0, 3.0])      # ([2,2] + [0,4]) / 2
    assert mean[2].tolist() == pytest.approx([0.0, 9.0])
    assert mean[3].tolist() == [0.0, 0.0]                     # in no pair


class _Recorder(torch.nn.Module):
    """Stands in for the encoder and keeps its input."""

    def __init__(self):
        super().__init__()
        self.seen = None

    def encode_padded(self, x, padding):
        self.seen = (x.detach().clone(), padding.clone())
        return x


def _head(**extra):
    torch.manual_seed(0)
    return SgnlsHead(num_obj_classes=4, num_rel_classes=3, obj_feature_dim=6, union_feature_dim=6,
                     num_tag_classes=3, **{**SMALL, **extra}).eval()


def _image(n=3):
    torch.manual_seed(1)
    boxes = torch.tensor([[0.0, 0, 10, 10], [5, 5, 15, 15], [2, 8, 20, 19]])[:n]
    dists = torch.softmax(torch.randn(n, 3), dim=1)
    return dict(features=torch.randn(n, 6), boxes=boxes, image_size=(20, 30), det_dists=dists)


def test_one_sequence_per_pair_with_the_predicate_always_masked():
    head = _head()
    recorder = _Recorder()
    head.encoder = recorder
    image = _image()
    pairs = torch.tensor([[0, 1], [2, 0], [1, 2]])
    head.score_pairs(pairs=pairs, **image)
    x, padding = recorder.seen
    assert x.shape == (3, TEXT_LENGTH + 3, 8) and not padding.any()
    # the text part is the embedding of [CLS, tag_s, MASK, tag_o, SEP]: rebuild it by hand
    tags = detector_tags(image["det_dists"])
    for row, (s, o) in enumerate(pairs.tolist()):
        ids = torch.tensor([3, int(tags[s]), 5, int(tags[o]), 4])      # CLS 3, SEP 4, MASK 5
        text = head.word_proj(head.word_embeddings(ids)) + head.position_embeddings(torch.arange(5))
        text = head.text_norm(text + head.type_embeddings(torch.zeros(5, dtype=torch.long)))
        torch.testing.assert_close(x[row, :TEXT_LENGTH], text)
        # regions: the same box features, only the type embedding differs between pairs
        types = torch.ones(3, dtype=torch.long)
        types[s], types[o] = 2, 3
        base = head.region_norm(head.region_linear(image["features"])) + head.geometry_norm(
            head.geometry_linear(region_geometry(image["boxes"], image["image_size"])))
        torch.testing.assert_close(x[row, TEXT_LENGTH:], head.region_out_norm(base + head.type_embeddings(types)))


def test_no_predicate_label_reaches_the_input():
    """The predicate slot is [MASK] whatever the pair's label: outputs depend on boxes and tags only."""
    head = _head()
    image = _image()
    pairs = torch.tensor([[0, 1], [1, 0]])
    first = head.score_pairs(pairs=pairs, **image)
    second = head.score_pairs(pairs=pairs.flip(0), **image)
    torch.testing.assert_close(first[0], second[0].flip(0))
    # a pair scored alone gives the same logits as within a batch (one sequence per pair)
    alone = head.score_pairs(pairs=pairs[:1], **image)
    torch.testing.assert_close(alone[0], first[0][:1])


def test_chunking_does_not_change_scores():
    image = _image()
    pairs = torch.tensor([[0, 1], [1, 0], [0, 2], [2, 1]])
    whole = _head().score_pairs(pairs=pairs, **image)
    chunked = _head(pair_chunk=3).score_pairs(pairs=pairs, **image)
    for a, b in zip(whole, chunked):
        torch.testing.assert_close(a, b)


def test_predicate_loss_only_on_foreground_pairs_object_loss_on_all():
    rel = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 3.0]])
    subj = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 2.0]])
    obj = torch.tensor([[0.0, 1.0], [1.0, 0.0], [0.5, 0.0]])
    losses = sgnls_losses(rel_logits=rel, subject_logits=subj, object_logits=obj,
                          rel_labels=torch.tensor([1, 2, 0]), subject_labels=torch.tensor([1, 0, 1]),
                          object_labels=torch.tensor([1, 1, 0]))
    # only pair 0 has both boxes foreground: -log softmax([2, 0, 0])[1]
    expected_rel = -math.log(1.0 / (math.exp(2) + 2))
    assert float(losses["loss_rel"]) == pytest.approx(expected_rel, rel=1e-5)
    ce = lambda row, label: -math.log(math.exp(row[label]) / sum(math.exp(v) for v in row))  # noqa: E731
    expected_obj = 0.5 * ((ce([1, 0], 1) + ce([0, 1], 0) + ce([0, 2], 1)) / 3
                          + (ce([0, 1], 1) + ce([1, 0], 1) + ce([0.5, 0], 0)) / 3)
    assert float(losses["loss_obj"]) == pytest.approx(expected_obj, rel=1e-5)


def test_class_weights_use_the_weighted_mean():
    logits = torch.tensor([[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    targets = torch.tensor([0, 1, 1])
    weight = torch.tensor([3.0, 1.0])
    # every row has loss log 2, so any weighted mean is log 2; change one row to tell them apart
    logits[0] = torch.tensor([1.0, 0.0])
    l0 = -math.log(math.exp(1) / (math.exp(1) + 1))
    expected = (3.0 * l0 + 1.0 * math.log(2) + 1.0 * math.log(2)) / 5.0
    assert float(weighted_cross_entropy(logits, targets, weight)) == pytest.approx(expected, rel=1e-6)
    assert float(weighted_cross_entropy(logits[:0], targets[:0], weight)) == 0.0


def test_no_foreground_pair_gives_a_zero_predicate_loss_with_a_graph():
    rel = torch.randn(2, 3, requires_grad=True)
    losses = sgnls_losses(rel_logits=rel, subject_logits=torch.randn(2, 2), object_logits=torch.randn(2, 2),
                          rel_labels=torch.tensor([1, 1]), subject_labels=torch.tensor([0, 1]),
                          object_labels=torch.tensor([1, 0]))
    assert float(losses["loss_rel"].detach()) == 0.0
    losses["loss_rel"].backward()


def _lin(i, o):
    return i * o + o


@pytest.mark.parametrize("tags,feat", [(151, 4096), (602, 1536)])
def test_parameter_count_matches_the_reference_layer_shapes(tags, feat):
    """UniterModel + UniterPredictor at hidden 768, 2 layers, FFN 3072, GloVe 200, 512 positions,
    4 types, VG150 targets; less the pooler and the region-mask rows, never used (docs/MODELS.md)."""
    hid, emb = 768, 200
    reference = ((tags + 3) * emb + _lin(emb, hid) + 512 * hid + 4 * hid + 2 * hid            # text embeddings
                 + _lin(feat, hid) + 2 * hid + 2 * hid + _lin(7, hid) + 2 * feat + 2 * hid    # region embeddings
                 + 2 * (4 * _lin(hid, hid) + 2 * hid + _lin(hid, 3072) + _lin(3072, hid) + 2 * hid)
                 + _lin(hid, hid)                                                              # pooler
                 + _lin(hid, hid) + _lin(hid, 151) + _lin(hid, hid) + _lin(hid, 51)            # out_oobj, out_rel
                 + tags * emb + _lin(emb, hid) + 4 * _lin(hid, hid))
    unused = _lin(hid, hid) + 2 * feat
    head = SgnlsHead(num_obj_classes=151, num_rel_classes=51, obj_feature_dim=feat, union_feature_dim=feat,
                     num_tag_classes=tags)
    assert sum(p.numel() for p in head.parameters() if p.requires_grad) == reference - unused
    assert reference == {151: 22398226, 602: 20607426}[tags]
