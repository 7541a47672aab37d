"""Models on grounded pseudo labels and their §7 inference: vocabulary mapping, class-wise NMS,
ranking, the caption frequency prior and the §5 class weights, on hand-built inputs and the
hand-shaped pseudo-label fixture."""
import numpy as np
import pytest
import torch

from sgg_bench.language.grounded_batches import GroundedBatches
from sgg_bench.language.loss_weights import class_weights
from sgg_bench.language.pseudo_label_fixture import tiny_pseudo_labels
from sgg_bench.modeling.grounded_models import (CaptionPriorModel, ContractGroundedModel, SgnlsGroundedModel,
                                                 caption_log_prior, detector_to_target_matrix)
from sgg_bench.modeling.heads.sgnls import SgnlsHead
from sgg_bench.modeling.language_postprocess import classwise_nms_labels, merge_matrix, ranked_prediction


def test_merge_matrix_uses_the_first_mapping_and_drops_unmapped():
    matrix = merge_matrix({1: [2, 1], 2: [], 3: [1]}, num_source=4, num_target=3)
    assert matrix.tolist() == [[1, 0, 0], [0, 0, 1], [0, 0, 0], [0, 1, 0]]


def test_classwise_nms_by_hand():
    boxes = torch.tensor([[0.0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30]])
    probs = torch.tensor([[0.0, 0.9, 0.1], [0.0, 0.8, 0.2], [0.0, 0.7, 0.3]])
    # box 0 takes class 1 (0.9) and removes class 1 from box 1 (IoU 0.81); box 1 then takes class 2;
    # box 2 does not overlap and keeps class 1
    assert classwise_nms_labels(boxes, probs, 0.5).tolist() == [1, 2, 1]
    # without suppression every box keeps its argmax
    assert classwise_nms_labels(boxes, probs, 0.99).tolist() == [1, 1, 1]
    # a box whose every class was suppressed falls back to its best class
    probs = torch.tensor([[0.0, 0.9, 0.0], [0.0, 0.8, 0.0]])
    assert classwise_nms_labels(boxes[:2], probs, 0.5).tolist() == [1, 1]


def test_ranked_prediction_maps_vocabularies_and_ranks():
    boxes = torch.tensor([[0.0, 0, 10, 10], [20, 20, 30, 30]])
    # target classes: bg, a, b, c(unmapped) -> dataset: bg, X, Y ; a -> Y, b -> X
    obj_merge = merge_matrix({1: [2], 2: [1], 3: []}, 4, 3)
    rel_merge = merge_matrix({1: [1], 2: []}, 3, 2)
    obj_logits = torch.log(torch.tensor([[0.1, 0.6, 0.2, 0.1], [0.1, 0.1, 0.2, 0.6]]))
    pairs = torch.tensor([[0, 1], [1, 0]])
    rel_logits = torch.log(torch.tensor([[0.5, 0.4, 0.1], [0.2, 0.8, 0.0001]]))
    prediction = ranked_prediction(image_id=7, boxes=boxes, obj_logits=obj_logits, pairs=pairs,
                                   rel_logits=rel_logits, obj_merge=obj_merge, rel_merge=rel_merge)
    assert prediction.labels.tolist() == [2, 1]            # box 0: a -> Y; box 1: c unmapped, b -> X
    assert prediction.scores.tolist() == pytest.approx([0.6, 0.2], rel=1e-5)
    # triplet scores: pair (0,1) 0.4*0.6*0.2 = 0.048; pair (1,0) ~0.8*0.2*0.6 = 0.096 -> first
    assert prediction.rel_pairs.tolist() == [[1, 0], [0, 1]]
    assert prediction.rel_scores[0] == pytest.approx([0.2, 0.8], abs=1e-3)


def test_detector_to_target_spreads_evenly():
    matrix = detector_to_target_matrix({0: [], 1: [1, 2], 2: [3], 3: []}, num_detector=4, num_target=4)
    assert matrix.tolist() == [[1, 0, 0, 0], [0, 0.5, 0.5, 0], [0, 0, 0, 1], [1, 0, 0, 0]]


def test_caption_log_prior_counts_triplets_of_node_classes():
    prior = caption_log_prior([np.array([1, 2]), np.array([1, 2, 2])], [np.array([[0, 1, 1]]),
                                                                        np.array([[0, 1, 2], [0, 2, 1]])],
                              num_obj_classes=3, num_rel_classes=3)
    # (1, 2): predicate 1 twice, predicate 2 once, background column 1 -> p = 1/4, 2/4, 1/4, plus
    # KT's epsilon 0.001 before the log
    assert torch.exp(prior[1, 2]).tolist() == pytest.approx([0.251, 0.501, 0.251], abs=1e-6)


def test_class_weights_formula_by_hand():
    # caption counts over the foreground classes 30, 10, 5 (shares 2/3, 2/9, 1/9; background ignored);
    # dataset shares of the mapped classes: class 2 -> 20/100, class 1 -> 80/100;
    # w1 = 0.2 / (2/3) = 0.3, w2 = 0.8 / (2/9) = 3.6; class 3 is unmapped -> 1
    weights = class_weights([99, 30, 10, 5], [7, 80, 20], {1: [2], 2: [1], 3: []})
    assert weights.tolist() == pytest.approx([1.0, 0.3, 3.6, 1.0], rel=1e-6)


def test_class_weights_reproduce_the_spec_examples():
    """LANGUAGE.md §5 quotes SGNLS's CC+COCO weights: tail 21.6, has 7.87, painted on 0.048.
    A concept with dataset share q and caption share q / w gets exactly w under the formula."""
    quoted = {"tail": 21.6, "has": 7.87, "painted on": 0.048}
    dataset_shares = np.array([0.0, 0.004, 0.05, 0.0005])      # illustrative VG shares of the three
    caption_shares = dataset_shares.copy()
    caption_shares[1:] = dataset_shares[1:] / np.array(list(quoted.values()))
    rest = 1.0 - caption_shares[1:].sum()
    caption = np.append(caption_shares, rest) * 1e6
    dataset = np.append(dataset_shares, 1.0 - dataset_shares[1:].sum()) * 1e6
    weights = class_weights(caption, dataset, {1: [1], 2: [2], 3: [3], 4: [4]})
    assert weights[1:4].tolist() == pytest.approx(list(quoted.values()), rel=1e-6)


def _merges(vocab):
    return dict(obj_merge=merge_matrix(vocab.class_to_dataset, len(vocab.ind_to_classes), len(vocab.dataset_classes)),
                rel_merge=merge_matrix(vocab.predicate_to_dataset, len(vocab.ind_to_predicates),
                                       len(vocab.dataset_predicates)))


@pytest.fixture()
def fixture_set(tmp_path):
    return tiny_pseudo_labels(tmp_path / "pl", num_images=6, feature_dim=8)


def test_sgnls_on_grounded_pseudo_labels_learns_and_predicts(fixture_set):
    vocab = fixture_set.vocab
    torch.manual_seed(0)
    head = SgnlsHead(num_obj_classes=len(vocab.ind_to_classes), num_rel_classes=len(vocab.ind_to_predicates),
                     obj_feature_dim=8, union_feature_dim=8, num_tag_classes=len(vocab.detector_classes),
                     hidden_dim=16, num_layers=1, num_heads=2, inner_dim=32, embed_dim=6, max_positions=8)
    model = SgnlsGroundedModel(head, **_merges(vocab), rel_class_weights=torch.ones(len(vocab.ind_to_predicates)))
    batches = GroundedBatches(fixture_set, batch_size=3, seed=0)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    first = last = None
    for step in range(60):
        losses = model(batches.batch_at(step))
        total = sum(losses.values())
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
        last = float(total.detach())
        first = last if first is None else first
    assert last < 0.6 * first
    model.eval()
    item = batches.load_item(1)            # an odd image: 4 detections
    (prediction,) = model.predict([item])
    assert prediction.rel_pairs.shape == (12, 2) and prediction.rel_scores.shape == (12, 4)
    assert set(prediction.labels.tolist()) <= {1, 2, 3, 4}


def test_motifs_and_the_caption_prior_on_pseudo_labels(fixture_set):
    from sgg_bench.modeling.build import build_relation_head
    from sgg_bench.structures import DatasetVocabulary

    vocab = fixture_set.vocab
    to_target = detector_to_target_matrix(vocab.detector_to_classes, 4, 5)
    head = build_relation_head("motifs", vocab=DatasetVocabulary(list(vocab.ind_to_classes),
                                                                 list(vocab.ind_to_predicates)),
                               freq_log_prior=None, obj_feature_dim=8, union_feature_dim=8,
                               head_args={"hidden_dim": 12, "pooling_dim": 20, "position_dim": 8, "embed_dim": 7,
                                          "use_union_features": False, "use_frequency_bias": False})
    model = ContractGroundedModel(head, detector_to_target=to_target, **_merges(vocab))
    batches = GroundedBatches(fixture_set, batch_size=2, seed=0, transformer_variant=False)
    losses = model(batches.batch_at(0))
    assert {"loss_rel", "loss_obj"} <= set(losses) and all(torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()
    model.eval()
    assert model.predict([batches.load_item(0)])[0].rel_pairs.shape == (6, 2)

    prior = caption_log_prior([i.node_classes for i in fixture_set], [i.triplets for i in fixture_set],
                              num_obj_classes=5, num_rel_classes=4)
    baseline = CaptionPriorModel(log_prior=prior, detector_to_target=to_target, **_merges(vocab))
    (prediction,) = baseline.predict([batches.load_item(0)])
    # detections: person, table, animal; the prior's best triplet is dog near man or man near table
    # (both caption-frequent), mapped to the dataset's "near" (id 2)
    best = prediction.rel_scores[0][1:].argmax() + 1
    assert best == 2
