import pytest
import torch

from modeling_fakes import random_log_prior
from sgg_bench.modeling.head_io import RelationHeadInputs
from sgg_bench.modeling.heads.frequency import FrequencyHead
from sgg_bench.modeling.blocks.frequency_bias import FrequencyBias


def inputs(mode, obj_logits, obj_labels=None):
    return RelationHeadInputs(mode=mode, obj_features=[torch.zeros(3, 2)], boxes=[torch.zeros(3, 4)],
                              image_sizes=[(10, 10)], obj_logits=[obj_logits],
                              pairs=[torch.tensor([[0, 1], [2, 0], [1, 2]])], obj_labels=obj_labels)


def test_predcls_logits_are_the_prior_of_gt_labels():
    prior = random_log_prior(4, 3)
    head = FrequencyHead(num_obj_classes=4, num_rel_classes=3, freq_log_prior=prior)
    out = head(inputs("predcls", torch.zeros(3, 4), [torch.tensor([3, 1, 2])]))
    expected = torch.stack([prior[3, 1], prior[2, 3], prior[1, 2]])
    assert torch.equal(out.rel_logits[0], expected)
    assert list(head.parameters()) == [] and head.requires_training is False


def test_sgcls_uses_predicted_labels_never_background():
    prior = random_log_prior(4, 3)
    head = FrequencyHead(num_obj_classes=4, num_rel_classes=3, freq_log_prior=prior)
    # Row 0 prefers background; its best foreground class is 2.
    logits = torch.tensor([[9.0, 0, 1, 0], [0, 5, 0, 0], [0, 0, 0, 4]])
    out = head(inputs("sgcls", logits))
    expected = torch.stack([prior[2, 1], prior[3, 2], prior[1, 3]])
    assert torch.equal(out.rel_logits[0], expected)
    assert torch.equal(out.obj_logits[0], logits)


def test_missing_or_misshapen_prior_is_an_error():
    with pytest.raises(ValueError, match="freq_log_prior is required"):
        FrequencyHead(num_obj_classes=4, num_rel_classes=3, freq_log_prior=None)
    with pytest.raises(ValueError, match=r"expected shape \(4, 4, 3\)"):
        FrequencyHead(num_obj_classes=4, num_rel_classes=3, freq_log_prior=torch.zeros(4, 4, 2))


def test_frequency_bias_is_initialised_from_prior_and_trainable():
    prior = random_log_prior(4, 3)
    bias = FrequencyBias(freq_log_prior=prior)
    assert torch.equal(bias(torch.tensor([3, 0]), torch.tensor([1, 2])), torch.stack([prior[3, 1], prior[0, 2]]))
    assert bias.table.weight.requires_grad
