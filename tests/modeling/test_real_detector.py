"""SceneGraphModel on the real (tiny, random-weight) detector: the interfaces fit together."""
import pytest
import torch

from modeling_fakes import random_log_prior, toy_item
from sgg_bench.detector import build_detector
from sgg_bench.modeling.features import RelationFeatures
from sgg_bench.modeling.build import build_scene_graph_model
from sgg_bench.structures import DatasetVocabulary

VOCAB = DatasetVocabulary(["__background__"] + [f"c{i}" for i in range(5)], ["__background__", "a", "b", "c", "d"])


@pytest.mark.parametrize("frozen", [False, True])
@pytest.mark.parametrize("mode", ["predcls", "sgdet"])
def test_motifs_on_tiny_detector(mode, frozen):
    torch.manual_seed(0)
    detector = build_detector("tiny", num_classes=6, min_size=64, max_size=96, box_detections_per_img=6)
    features = RelationFeatures(detector, freeze=frozen, rect_masks=not frozen)
    model = build_scene_graph_model(features=features, head_name="motifs", vocab=VOCAB, mode=mode,
                                    freq_log_prior=random_log_prior(6, 5),
                                    head_args={"hidden_dim": 8, "pooling_dim": 8, "embed_dim": 4}, pairs_per_image=16)
    items = [toy_item(image_id=i, num_boxes=3, relations=[[0, 1, 2]], size=(48, 64)) for i in range(2)]
    model.train()
    assert not detector.training
    losses = model(items)
    sum(losses.values()).backward()
    assert all(p.grad is None for p in detector.parameters())
    trained = [p for p in features.parameters() if p.requires_grad]
    assert (trained == []) == frozen and all(p.grad is not None for p in trained)
    model.eval()
    predictions = model.predict(items)
    for item, prediction in zip(items, predictions):
        n = prediction.boxes.shape[0]
        assert prediction.rel_pairs.shape == (n * (n - 1), 2)
        if mode == "predcls":
            assert torch.allclose(torch.from_numpy(prediction.boxes), item["boxes"])
        else:
            assert n <= 6
            assert (prediction.boxes[:, 2] <= 64 + 1e-3).all()
