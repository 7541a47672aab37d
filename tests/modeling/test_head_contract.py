"""Contract every registered relation head must pass (DESIGN.md section 4): forward and
backward in every mode, zero candidate pairs, a single box, determinism under a seed."""
import pytest
import torch

from modeling_fakes import FakeDetectorFeatures, random_log_prior, toy_item
from sgg_bench.modeling import SceneGraphModel
from sgg_bench.modeling.head_io import RelationHeadInputs
from sgg_bench.registry import RELATION_HEADS

NUM_OBJ, NUM_REL, FEAT = 6, 5, 16
SMALL_ARGS = {
    "frequency": {},
    "imp": {"hidden_dim": 12, "num_iterations": 2, "use_frequency_bias": True},
    "motifs": {"hidden_dim": 12, "pooling_dim": 20, "position_dim": 8, "embed_dim": 7, "dropout": 0.1},
}
HEADS = RELATION_HEADS.names()
MODES = ("predcls", "sgcls", "sgdet")


def build_head(name, seed=0):
    torch.manual_seed(seed)
    return RELATION_HEADS.build(name, num_obj_classes=NUM_OBJ, num_rel_classes=NUM_REL, obj_feature_dim=FEAT,
                                union_feature_dim=FEAT, freq_log_prior=random_log_prior(NUM_OBJ, NUM_REL),
                                word_vectors=None, **SMALL_ARGS.get(name, {}))


def build_model(name, mode, seed=0, blind_detections=3):
    features = FakeDetectorFeatures(num_classes=NUM_OBJ, feature_dim=FEAT, blind_detections=blind_detections)
    return SceneGraphModel(features, build_head(name, seed), mode=mode, num_rel_classes=NUM_REL,
                           pairs_per_image=8)


def batch():
    return [toy_item(image_id=1, num_boxes=4, relations=[[0, 1, 2], [2, 3, 1], [0, 1, 3]]),
            toy_item(image_id=2, num_boxes=3, relations=[[1, 0, 4]])]


def test_every_expected_head_is_registered():
    assert {"frequency", "imp", "motifs"} <= set(HEADS)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", HEADS)
def test_forward_backward(name, mode):
    model = build_model(name, mode)
    model.train()
    losses = model(batch())
    assert "loss_rel" in losses and all(torch.isfinite(v) for v in losses.values())
    trainable = [p for p in model.parameters() if p.requires_grad]
    if not model.requires_training:
        assert trainable == []
        return
    assert trainable, "a trained head must have trainable parameters"
    sum(losses.values()).backward()
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in trainable)
    if mode != "predcls" and model.head.refines_objects:
        assert "loss_obj" in losses


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", HEADS)
def test_predict_shapes_and_ranking(name, mode):
    model = build_model(name, mode).eval()
    items = batch()
    predictions = model.predict(items)
    assert [p.image_id for p in predictions] == [1, 2]
    for item, prediction in zip(items, predictions):
        n = prediction.boxes.shape[0]
        if mode != "sgdet":
            assert n == item["boxes"].shape[0]
            torch.testing.assert_close(torch.from_numpy(prediction.boxes), item["boxes"])
        assert prediction.rel_pairs.shape == (n * (n - 1), 2)
        assert prediction.rel_scores.shape == (n * (n - 1), NUM_REL)
        assert (prediction.rel_pairs[:, 0] != prediction.rel_pairs[:, 1]).all()
        assert (prediction.labels >= 1).all()
        if mode == "predcls":
            assert (prediction.scores == 1.0).all()
        triplet = (prediction.rel_scores[:, 1:].max(1) * prediction.scores[prediction.rel_pairs[:, 0]]
                   * prediction.scores[prediction.rel_pairs[:, 1]])
        assert (triplet[:-1] >= triplet[1:]).all()


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", HEADS)
def test_zero_candidate_pairs(name, mode):
    head = build_head(name).train()
    features = [torch.randn(3, FEAT), torch.randn(0, FEAT)]
    inputs = RelationHeadInputs(
        mode=mode, obj_features=features, boxes=[torch.tensor([[0., 0, 5, 5], [2, 2, 9, 9], [1, 1, 3, 3]]),
                                                  torch.zeros(0, 4)],
        image_sizes=[(20, 20), (20, 20)], obj_logits=[torch.randn(3, NUM_OBJ), torch.zeros(0, NUM_OBJ)],
        pairs=[torch.zeros(0, 2, dtype=torch.long)] * 2,
        obj_labels=[torch.tensor([1, 2, 3]), torch.zeros(0, dtype=torch.long)] if mode == "predcls" else None,
        union_features=[torch.zeros(0, FEAT)] * 2, obj_targets=[torch.tensor([1, 2, 0]), torch.zeros(0, dtype=torch.long)])
    outputs = head(inputs)
    assert [tuple(r.shape) for r in outputs.rel_logits] == [(0, NUM_REL), (0, NUM_REL)]
    assert [tuple(o.shape) for o in outputs.obj_logits] == [(3, NUM_OBJ), (0, NUM_OBJ)]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", HEADS)
def test_single_box(name, mode):
    model = build_model(name, mode, blind_detections=1)
    items = [toy_item(image_id=7, num_boxes=1, relations=[])]
    model.train()
    losses = model(items)
    assert all(torch.isfinite(v) for v in losses.values())
    if model.requires_training:
        sum(losses.values()).backward()
    model.eval()
    (prediction,) = model.predict([toy_item(image_id=7, num_boxes=1, relations=[])])
    assert prediction.boxes.shape == (1, 4)   # one GT box, or one detection in sgdet
    assert prediction.rel_pairs.shape == (0, 2)
    assert prediction.rel_scores.shape == (0, NUM_REL)


@pytest.mark.parametrize("mode", ("predcls", "sgcls"))
@pytest.mark.parametrize("name", HEADS)
def test_deterministic_under_seed(name, mode):
    runs = []
    for _ in range(2):
        model = build_model(name, mode, seed=3)
        torch.manual_seed(11)
        model.train()
        losses = model(batch())
        model.eval()
        prediction = model.predict(batch())[0]
        runs.append((losses, prediction))
    (losses_a, pred_a), (losses_b, pred_b) = runs
    for key in losses_a:
        assert torch.equal(losses_a[key], losses_b[key])
    assert (pred_a.rel_pairs == pred_b.rel_pairs).all()
    assert (pred_a.rel_scores == pred_b.rel_scores).all()
