import math

import torch
from torchvision.models.detection.image_list import ImageList

from sgg_bench.detector.build import SGB_ANCHOR_RATIOS, SGB_PIXEL_MEAN
from sgg_bench.detector.legacy import (BGR255Transform, LegacyAnchorGenerator, detectron_cell_anchors,
                                       legacy_box_coder)


def test_detectron_anchor_of_stride4_size32_extreme_ratio():
    anchors = detectron_cell_anchors(stride=4, sizes=(32,), aspect_ratios=SGB_ANCHOR_RATIOS)
    assert anchors.shape == (4, 4)
    assert anchors[0].tolist() == [-30.0, -6.0, 33.0, 9.0]


def test_detectron_anchor_classic_stride16_size128_square():
    # The well-known Faster R-CNN base anchor: 16 px cell, 8x scale, ratio 1.
    (anchor,) = detectron_cell_anchors(stride=16, sizes=(128,), aspect_ratios=(1.0,))
    assert anchor.tolist() == [-56.0, -56.0, 71.0, 71.0]


def test_legacy_anchor_generator_uses_fixed_strides_and_buffers():
    generator = LegacyAnchorGenerator(sizes=((8,), (16,)), aspect_ratios=((1.0,), (1.0,)), strides=(4, 8))
    assert sorted(generator.state_dict()) == ["cell_anchors.0", "cell_anchors.1"]
    images = ImageList(torch.zeros(1, 3, 16, 16), [(16, 16)])
    # A 3x3 coarse map on a 16 px image: torchvision would infer stride 16 // 3 = 5; we keep 8.
    maps = [torch.zeros(1, 1, 4, 4), torch.zeros(1, 1, 3, 3)]
    (anchors,) = generator(images, maps)
    assert anchors.shape == (16 + 9, 4)
    coarse = anchors[16:]
    assert (coarse[1] - coarse[0]).tolist() == [8.0, 0.0, 8.0, 0.0]


def test_legacy_anchor_generator_takes_checkpoint_anchors_from_state_dict():
    generator = LegacyAnchorGenerator(sizes=((8,),), aspect_ratios=((1.0, 2.0),), strides=(4,))
    replacement = torch.tensor([[-1.0, -2.0, 3.0, 4.0], [-5.0, -6.0, 7.0, 8.0]])
    generator.load_state_dict({"cell_anchors.0": replacement})
    (anchors,) = generator(ImageList(torch.zeros(1, 3, 4, 4), [(4, 4)]), [torch.zeros(1, 1, 1, 1)])
    assert torch.equal(anchors, replacement)


def test_legacy_box_coder_plus_one_convention():
    coder = legacy_box_coder(weights=(1.0, 1.0, 1.0, 1.0))
    proposal = torch.tensor([[0.0, 0.0, 9.0, 9.0]])          # 10 px wide with the +1 rule
    assert coder.decode_single(torch.zeros(1, 4), proposal).tolist() == [[0.0, 0.0, 9.0, 9.0]]
    reference = torch.tensor([[0.0, 0.0, 19.0, 9.0]])        # 20 px wide, centre x 10
    codes = coder.encode_single(reference, proposal)
    assert torch.allclose(codes, torch.tensor([[0.5, 0.0, math.log(2.0), 0.0]]))
    assert torch.allclose(coder.decode_single(codes, proposal), reference)


def test_bgr255_transform_feeds_bgr_minus_mean():
    transform = BGR255Transform(min_size=4, max_size=4, image_mean=[m / 255 for m in SGB_PIXEL_MEAN],
                                image_std=[1 / 255] * 3)
    rgb = torch.zeros(3, 2, 2)
    rgb[0] = 1.0  # pure red
    out = transform.normalize(rgb)
    expected = torch.tensor([0.0 - SGB_PIXEL_MEAN[0], 0.0 - SGB_PIXEL_MEAN[1], 255.0 - SGB_PIXEL_MEAN[2]])
    assert torch.allclose(out[:, 0, 0], expected, atol=1e-3)
