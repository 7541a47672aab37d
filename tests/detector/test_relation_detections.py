"""SGDet decoding with one label per box: after the per-class NMS only the best-scoring class of
each proposal survives, with that class's box; torchvision's own decoding would keep both."""
import torch
from torchvision.models.detection._utils import BoxCoder

from sgg_bench.detector.relation_detections import one_label_per_box


def test_one_label_per_proposal_with_its_class_box():
    proposals = [torch.tensor([[0.0, 0.0, 10.0, 10.0], [40.0, 40.0, 60.0, 60.0]])]
    # Proposal 0: class 1 (0.5) and class 2 (0.4) both pass the threshold; proposal 1: class 2 only.
    probs = torch.tensor([[0.05, 0.5, 0.4, 0.05], [0.1, 0.05, 0.8, 0.05]])
    logits = probs.log()
    regression = torch.zeros(2, 16)
    regression[0, 8:12] = torch.tensor([1.0, 0.0, 0.0, 0.0])  # class 2 of proposal 0 is shifted right
    coder = BoxCoder((10.0, 10.0, 5.0, 5.0))
    (out,) = one_label_per_box(logits, regression, proposals, [(100, 100)], box_coder=coder, score_thresh=0.1,
                               nms_thresh=0.5, detections_per_img=10)
    assert out["labels"].tolist() == [2, 1] and out["proposal"].tolist() == [1, 0]
    torch.testing.assert_close(out["scores"], torch.tensor([0.8, 0.5]))
    torch.testing.assert_close(out["boxes"][1], proposals[0][0])  # class 1's (unshifted) box
    # Every class's regressed box of the detection's proposal comes along (for the late NMS).
    assert out["class_boxes"].shape == (2, 4, 4)
    torch.testing.assert_close(out["class_boxes"][1, 1], out["boxes"][1])
    torch.testing.assert_close(out["class_boxes"][1, 2], out["class_boxes"][1, 1] + torch.tensor([1.0, 0, 1, 0]))
    # The cap applies after the duplicate filter.
    (capped,) = one_label_per_box(logits, regression, proposals, [(100, 100)], box_coder=coder, score_thresh=0.1,
                                  nms_thresh=0.5, detections_per_img=1)
    assert capped["labels"].tolist() == [2]


def test_no_proposals_or_nothing_above_the_threshold():
    coder = BoxCoder((10.0, 10.0, 5.0, 5.0))
    (empty,) = one_label_per_box(torch.zeros(0, 4), torch.zeros(0, 16), [torch.zeros(0, 4)], [(10, 10)],
                                 box_coder=coder, score_thresh=0.1, nms_thresh=0.5, detections_per_img=5)
    assert empty["boxes"].shape == (0, 4) and empty["labels"].shape == (0,)
    (low,) = one_label_per_box(torch.zeros(1, 4), torch.zeros(1, 16), [torch.tensor([[0.0, 0, 5, 5]])], [(10, 10)],
                               box_coder=coder, score_thresh=0.5, nms_thresh=0.5, detections_per_img=5)
    assert low["boxes"].shape == (0, 4)
