import pytest
import torch

from modeling_fakes import fake_relation_features, random_log_prior, toy_item
from sgg_bench.modeling import SceneGraphModel
from sgg_bench.modeling.build import build_relation_head
from sgg_bench.modeling.contract import HeadNeeds
from sgg_bench.modeling.head_io import RelationHeadOutputs
from sgg_bench.modeling.blocks.sequence import box_order
from sgg_bench.modeling.pair_sampling import match_boxes_to_gt
from sgg_bench.structures import DatasetVocabulary


class RecordingHead(torch.nn.Module):
    """Returns zero logits and remembers its inputs."""

    needs = HeadNeeds(training_targets=True)
    refines_objects = True

    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(()))
        self.seen = None

    def forward(self, inputs):
        self.seen = inputs
        return RelationHeadOutputs(rel_logits=[torch.zeros(p.shape[0], 5) + self.weight for p in inputs.pairs],
                                   obj_logits=[l + self.weight for l in inputs.obj_logits])


def test_sgdet_training_adds_gt_boxes_and_matches_labels():
    head = RecordingHead()
    model = SceneGraphModel(fake_relation_features(num_classes=6), head, mode="sgdet", num_rel_classes=5)
    item = toy_item(image_id=1, num_boxes=3, relations=[[0, 2, 4]])
    model.train()
    losses = model([item])
    assert set(losses) == {"loss_rel", "loss_obj"}
    inputs = head.seen
    # 3 shifted detections + 1 corner box + 3 GT boxes.
    assert inputs.boxes[0].shape == (7, 4)
    targets = inputs.obj_targets[0]
    labels = item["labels"]
    assert targets[4:].tolist() == labels.tolist()          # GT boxes keep their labels
    assert inputs.obj_labels is None


def test_sgdet_fg_pairs_follow_matches():
    model = SceneGraphModel(fake_relation_features(num_classes=6), RecordingHead(), mode="sgdet", num_rel_classes=5,
                            pairs_per_image=100, fg_fraction=0.5)
    item = toy_item(image_id=1, num_boxes=3, relations=[[0, 2, 4]], size=(200, 200))
    prepared = model._prepare([item], training=True)
    boxes = prepared.inputs.boxes[0]
    matches = match_boxes_to_gt(boxes, item["boxes"] * 0.5)
    # Boxes 0-2: shifted copies of GT 0-2; box 3: the unmatched corner box; boxes 4-6: the GT boxes.
    assert matches.tolist() == [0, 1, 2, -1, 0, 1, 2]
    assert prepared.obj_targets[0].tolist() == [*item["labels"].tolist(), 0, *item["labels"].tolist()]
    labelled = {tuple(p): int(l) for p, l in zip(prepared.inputs.pairs[0].tolist(), prepared.rel_labels[0])}
    # 100 pairs allowed: every ordered pair of the six foreground boxes; the background box 3
    # takes part in no pair (KT samples background pairs between foreground boxes only).
    assert len(labelled) == 6 * 5 and not any(3 in pair for pair in labelled)
    assert {p: l for p, l in labelled.items() if l} == {(0, 2): 4, (0, 6): 4, (4, 2): 4, (4, 6): 4}


def test_predcls_inputs_carry_gt_labels_and_all_pairs_at_test_time():
    head = RecordingHead()
    model = SceneGraphModel(fake_relation_features(num_classes=6), head, mode="predcls", num_rel_classes=5).eval()
    item = toy_item(image_id=3, num_boxes=4, relations=[[0, 1, 1]])
    (prediction,) = model.predict([item])
    assert head.seen.obj_labels[0].tolist() == item["labels"].tolist()
    assert head.seen.pairs[0].shape == (12, 2)
    assert prediction.scores.tolist() == [1.0] * 4


def test_constructor_validates():
    with pytest.raises(ValueError, match="mode"):
        SceneGraphModel(fake_relation_features(num_classes=6), RecordingHead(), mode="detect", num_rel_classes=5)


def test_box_order_leftright_is_stable():
    boxes = torch.tensor([[10., 0, 20, 5], [0, 0, 4, 4], [10, 3, 20, 9]])
    assert box_order("leftright", boxes).tolist() == [1, 0, 2]
    assert box_order("size", boxes).tolist() == [2, 0, 1]


def test_build_relation_head_uses_glove_file(tmp_path):
    glove = tmp_path / "g.txt"
    glove.write_text("cat 1 2 3\ndog 4 5 6\n", encoding="utf8")
    vocab = DatasetVocabulary(["__background__", "cat", "dog"], ["__background__", "on", "has"])
    head = build_relation_head("motifs", vocab=vocab, freq_log_prior=random_log_prior(3, 3), obj_feature_dim=8,
                               union_feature_dim=8, head_args={"glove_path": str(glove), "embed_dim": 3,
                                                               "hidden_dim": 4, "pooling_dim": 6})
    assert head.context.ctx_embed.weight[1:].tolist() == [[1, 2, 3], [4, 5, 6]]
    assert head.requires_training


def test_sgdet_inference_needs_no_annotations():
    head = RecordingHead()
    model = SceneGraphModel(fake_relation_features(num_classes=6), head, mode="sgdet", num_rel_classes=5).eval()
    item = toy_item(image_id=3, num_boxes=4, relations=[[0, 1, 1]])
    for key in ("boxes", "labels", "relations"):
        del item[key]
    (prediction,) = model.predict([item])
    assert prediction.boxes.shape == (3, 4) and prediction.rel_pairs.shape == (6, 2)
    assert (prediction.boxes[:, 2] <= 48).all()  # mapped back to original pixels (W = 48)
