"""Contract every registered relation head must pass (docs/MODELS.md): forward and
backward in every mode, zero candidate pairs, a single box, determinism under a seed."""
import pytest
import torch

from modeling_fakes import fake_relation_features, random_log_prior, toy_item
from sgg_bench.modeling import SceneGraphModel
from sgg_bench.modeling.head_io import RelationHeadInputs
from sgg_bench.modeling.build import build_relation_head
from sgg_bench.modeling.contract import head_needs
from sgg_bench.registry import RELATION_HEADS
from sgg_bench.structures import DatasetVocabulary

NUM_OBJ, NUM_REL, FEAT = 6, 5, 16
SMALL_ARGS = {
    "frequency": {},
    "imp": {"hidden_dim": 12, "num_iterations": 2, "use_frequency_bias": True},
    "motifs": {"hidden_dim": 12, "pooling_dim": 20, "position_dim": 8, "embed_dim": 7, "dropout": 0.1},
    "vctree": {"hidden_dim": 12, "pooling_dim": 20, "position_dim": 8, "embed_dim": 7, "dropout": 0.1},
    "grcnn": {"hidden_dim": 6, "pooling_dim": 10, "position_dim": 5, "embed_dim": 7, "graph_dim": 8,
              "feature_heads": 2},
    "msdn": {"dim": 12, "gate_width": 5, "update_steps": 2},
    "gpsnet": {"hidden_dim": 6, "pooling_dim": 12, "position_dim": 5, "embed_dim": 7, "graph_dim": 8,
               "gate_filters": 3},
    "reldn": {"spatial_dim": 6},
    "transformer": {"hidden_dim": 12, "pooling_dim": 20, "position_dim": 8, "embed_dim": 7, "num_obj_layers": 2,
                    "num_edge_layers": 1, "num_heads": 2, "key_dim": 5, "value_dim": 4, "inner_dim": 16},
    "vtranse": {"hidden_dim": 12, "pooling_dim": 20, "position_dim": 8, "embed_dim": 7},
    "causal": {"hidden_dim": 12, "pooling_dim": 20, "position_dim": 8, "embed_dim": 7, "dropout": 0.1},
    "bgnn": {"hidden_dim": 6, "pooling_dim": 10, "position_dim": 5, "embed_dim": 7, "graph_dim": 8,
             "confidence_dim": 6, "confidence_geometry_dim": 4, "gate_width": 3, "graph_steps": 2,
             "refine_iters": 2, "rce_pretrain_steps": 0},
    "sgnls": {"hidden_dim": 12, "num_layers": 1, "num_heads": 2, "inner_dim": 16, "embed_dim": 7, "max_positions": 8},
}
HEADS = RELATION_HEADS.names()
# A head that is several models (registry ``variants``, e.g. the causal predictor's contexts) also
# runs as "name+key=value" with that head argument, beside its default.
CASES = HEADS + [f"{name}+{key}={value}" for name in HEADS for variant in RELATION_HEADS.info(name).get("variants", ())
                 for key, value in variant.items()]
MODES = ("predcls", "sgcls", "sgdet")


VOCAB = DatasetVocabulary([f"object{i}" for i in range(NUM_OBJ)], [f"predicate{i}" for i in range(NUM_REL)])


def build_head(case, seed=0):
    """Through the same builder as the run lifecycle, so only the declared needs reach the head."""
    name, _, variant = case.partition("+")
    args = dict(SMALL_ARGS.get(name, {}))
    if variant:
        key, value = variant.split("=")
        args[key] = value
    torch.manual_seed(seed)
    return build_relation_head(name, vocab=VOCAB, freq_log_prior=random_log_prior(NUM_OBJ, NUM_REL),
                               obj_feature_dim=FEAT, union_feature_dim=FEAT, head_args=args)


def build_model(name, mode, seed=0, blind_detections=3):
    features = fake_relation_features(num_classes=NUM_OBJ, feature_dim=FEAT, blind_detections=blind_detections)
    return SceneGraphModel(features, build_head(name, seed), mode=mode, num_rel_classes=NUM_REL,
                           pairs_per_image=8)


def batch():
    return [toy_item(image_id=1, num_boxes=4, relations=[[0, 1, 2], [2, 3, 1], [0, 1, 3]]),
            toy_item(image_id=2, num_boxes=3, relations=[[1, 0, 4]])]


def test_every_expected_head_is_registered():
    assert {"frequency", "imp", "motifs", "vctree", "transformer", "vtranse", "grcnn", "msdn", "reldn",
            "causal", "bgnn", "gpsnet"} <= set(HEADS)
    assert {"causal+context=vctree", "causal+context=vtranse"} <= set(CASES)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", CASES)
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
@pytest.mark.parametrize("name", CASES)
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
@pytest.mark.parametrize("name", CASES)
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
@pytest.mark.parametrize("name", CASES)
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
@pytest.mark.parametrize("name", CASES)
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


class _SpyHead(torch.nn.Module):
    """Wraps a head and records the inputs it was given."""

    def __init__(self, head):
        super().__init__()
        self.inner = head
        self.needs, self.refines_objects = head.needs, head.refines_objects
        self.requires_training = getattr(head, "requires_training", True)
        self.seen = []

    def forward(self, inputs):
        self.seen.append(inputs)
        return self.inner(inputs)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", CASES)
def test_declared_needs_are_honoured(name, mode):
    """A head gets exactly what it declares: union features, box features and training targets
    only when asked for (targets never at test time); word vectors and the prior only in its
    constructor when declared."""
    spy = _SpyHead(build_head(name))
    model = SceneGraphModel(fake_relation_features(num_classes=NUM_OBJ, feature_dim=FEAT), spy, mode=mode,
                            num_rel_classes=NUM_REL, pairs_per_image=8)
    needs = head_needs(spy.inner)
    model.train()
    model(batch())
    model.eval()
    model.predict(batch())
    train_inputs, test_inputs = spy.seen
    for inputs in (train_inputs, test_inputs):
        assert (inputs.union_features is not None) == needs.union_features
        assert (inputs.obj_features is not None) == needs.object_context
    assert (train_inputs.rel_labels is not None) == needs.training_targets
    assert (train_inputs.obj_targets is not None) == needs.training_targets
    assert (train_inputs.related is not None) == needs.training_targets
    assert test_inputs.rel_labels is None and test_inputs.obj_targets is None and test_inputs.related is None
    if needs.training_targets:
        assert [len(l) for l in train_inputs.rel_labels] == train_inputs.num_pairs
    import inspect
    parameters = inspect.signature(type(spy.inner)).parameters
    assert ("word_vectors" in parameters) == needs.word_vectors
    assert ("freq_log_prior" in parameters) == needs.frequency_prior


@pytest.mark.parametrize("name", HEADS)
def test_registry_metadata_and_docs_row(name):
    """Every head names its paper, reference and modes, and has its row in docs/MODELS.md."""
    from pathlib import Path

    info = RELATION_HEADS.info(name)
    assert info["paper"] and info["reference"] and set(info["modes"]) <= set(MODES)
    models_doc = (Path(__file__).resolve().parents[2] / "docs" / "MODELS.md").read_text(encoding="utf-8")
    assert f"| `{name}` |" in models_doc
