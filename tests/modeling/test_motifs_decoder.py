"""KT's highway LSTM object decoder: teacher forcing, variable lengths, the gate equations by hand,
recurrent dropout, and the parameter layout of the reference (input 6h, state 5h)."""
import torch

from sgg_bench.modeling.blocks.label_decoder import HighwayLabelDecoder


def decoder(dropout=0.0):
    torch.manual_seed(0)
    return HighwayLabelDecoder(input_dim=3, embed_dim=2, hidden_dim=4, num_obj_classes=5, dropout=dropout)


def test_teacher_forcing_feeds_the_previous_target():
    model = decoder()
    sequence = [torch.randn(3, 3)]
    a = model(sequence, [torch.tensor([1, 2, 3])])[0]
    b = model(sequence, [torch.tensor([4, 2, 3])])[0]
    assert torch.equal(a[0], b[0])          # the first step sees only the start token
    assert not torch.allclose(a[1], b[1])   # the second step sees target 0
    assert torch.equal(model(sequence, [torch.tensor([4, 2, 1])])[0][:3 - 1], b[:2])  # last target unused


def test_variable_lengths_match_separate_runs():
    model = decoder().eval()
    long, short = torch.randn(4, 3), torch.randn(2, 3)
    together = model([long, torch.zeros(0, 3), short], None)
    assert [t.shape for t in together] == [(4, 5), (0, 5), (2, 5)]
    torch.testing.assert_close(together[2], model([short], None)[0])
    torch.testing.assert_close(together[0], model([long], None)[0])


def test_one_step_by_hand():
    model = decoder()
    x = torch.randn(1, 3)
    start = model.label_embed(torch.tensor([5]))
    step_input = torch.cat([x, start], dim=1)
    p = model.input_linearity(step_input)[0]
    s = model.state_linearity(torch.zeros(1, 4))[0]
    i, f, g, o = (torch.sigmoid(p[:4] + s[:4]), torch.sigmoid(p[4:8] + s[4:8]), torch.tanh(p[8:12] + s[8:12]),
                  torch.sigmoid(p[12:16] + s[12:16]))
    memory = i * g  # the previous memory is zero, so the forget gate drops out
    r = torch.sigmoid(p[16:20] + s[16:20])
    out = r * (o * torch.tanh(memory)) + (1 - r) * p[20:24]
    torch.testing.assert_close(model([x], None)[0][0], model.classifier(out))
    assert f.shape == (4,)


def test_layout_and_recurrent_dropout():
    model = decoder(dropout=0.5)
    assert model.input_linearity.weight.shape == (24, 5) and model.state_linearity.weight.shape == (20, 4)
    sequence = [torch.randn(6, 3)]
    model.train()
    torch.manual_seed(1)
    a = model(sequence, None)[0]
    torch.manual_seed(2)
    b = model(sequence, None)[0]
    assert not torch.allclose(a, b)          # a new mask per call while training
    model.eval()
    torch.testing.assert_close(model(sequence, None)[0], model(sequence, None)[0])


def test_position_encoder_normalises_over_the_whole_batch():
    from sgg_bench.modeling.blocks.position import PositionEncoder

    torch.manual_seed(0)
    encoder = PositionEncoder(8)
    boxes = [torch.tensor([[0.0, 0.0, 10.0, 10.0], [5.0, 5.0, 20.0, 15.0]]), torch.tensor([[1.0, 2.0, 3.0, 4.0]])]
    sizes = [(20, 20), (10, 10)]
    encoder.train()
    together = encoder(boxes, sizes)
    assert [tuple(t.shape) for t in together] == [(2, 8), (1, 8)]
    # Statistics over all three boxes: the first image's rows depend on the second image's box.
    alone = encoder([boxes[0]], sizes[:1])[0]
    assert not torch.allclose(alone, together[0])
    # A training batch of one box uses the running statistics instead of failing.
    (single,) = encoder([boxes[1]], sizes[1:])
    encoder.eval()
    torch.testing.assert_close(single, encoder([boxes[1]], sizes[1:])[0])
