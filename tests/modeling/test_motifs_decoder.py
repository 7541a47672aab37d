import torch

from sgg_bench.modeling.heads.motifs import LabelDecoder


def decoder():
    torch.manual_seed(0)
    return LabelDecoder(input_dim=3, embed_dim=2, hidden_dim=4, num_obj_classes=5, word_vectors=None)


def test_teacher_forcing_feeds_the_previous_target():
    model = decoder()
    sequence = [torch.randn(3, 3)]
    a = model(sequence, [torch.tensor([1, 2, 3])])[0]
    b = model(sequence, [torch.tensor([4, 2, 3])])[0]
    assert torch.equal(a[0], b[0])          # the first step sees only the start token
    assert not torch.allclose(a[1], b[1])   # the second step sees target 0
    assert torch.equal(model(sequence, [torch.tensor([4, 2, 1])])[0][:3 - 1], b[:2])  # last target unused


def test_variable_lengths_match_separate_runs():
    model = decoder()
    long, short = torch.randn(4, 3), torch.randn(2, 3)
    together = model([long, torch.zeros(0, 3), short], None)
    assert [t.shape for t in together] == [(4, 5), (0, 5), (2, 5)]
    torch.testing.assert_close(together[2], model([short], None)[0])
    torch.testing.assert_close(together[0], model([long], None)[0])
