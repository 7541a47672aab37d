"""The Motifs object decoder (KT's ``DecoderRNN``): a highway LSTM that walks a box sequence and
predicts each label from the box's input and the embedding of the previous label.

Per step, with ``h`` the hidden size, ``x`` = [input, embedding of the previous label]:
  gates = input_linearity(x) (6h) + state_linearity(previous output) (5h, padded to 6h)
  i, f, o = sigmoid(gates[0:h], [h:2h], [3h:4h]); g = tanh(gates[2h:3h])
  memory = i * g + f * previous memory;  out = o * tanh(memory)
  highway: r = sigmoid(gates[4h:5h]); out = r * out + (1 - r) * input_linearity(x)[5h:6h]
Recurrent dropout: one mask per sequence on the output, the same at every step (training only).
"""
from __future__ import annotations

import torch
from torch import Tensor, nn

from sgg_bench.modeling.postprocess import object_labels_and_scores


class HighwayLabelDecoder(nn.Module):
    """input_dim: size of each step's input (without the label embedding); embed_dim: label
    embedding size (row ``num_obj_classes`` is the start token); word_vectors: optional (C_obj, E)
    initialisation of the label embedding."""

    def __init__(self, *, input_dim: int, embed_dim: int, hidden_dim: int, num_obj_classes: int,
                 word_vectors: Tensor | None = None, dropout: float = 0.2):
        super().__init__()
        self.hidden_dim = int(hidden_dim)
        self.dropout = float(dropout)
        self.label_embed = nn.Embedding(num_obj_classes + 1, embed_dim)
        if word_vectors is not None:
            with torch.no_grad():
                self.label_embed.weight[:num_obj_classes].copy_(word_vectors)
        self.input_linearity = nn.Linear(input_dim + embed_dim, 6 * hidden_dim)
        self.state_linearity = nn.Linear(hidden_dim, 5 * hidden_dim)
        self.classifier = nn.Linear(hidden_dim, num_obj_classes)
        self.start_token = num_obj_classes

    def _step(self, step_input: Tensor, output: Tensor, memory: Tensor) -> tuple[Tensor, Tensor]:
        h = self.hidden_dim
        projected = self.input_linearity(step_input)
        state = self.state_linearity(output)
        input_gate = torch.sigmoid(projected[:, :h] + state[:, :h])
        forget_gate = torch.sigmoid(projected[:, h:2 * h] + state[:, h:2 * h])
        candidate = torch.tanh(projected[:, 2 * h:3 * h] + state[:, 2 * h:3 * h])
        output_gate = torch.sigmoid(projected[:, 3 * h:4 * h] + state[:, 3 * h:4 * h])
        memory = input_gate * candidate + forget_gate * memory
        output = output_gate * torch.tanh(memory)
        highway = torch.sigmoid(projected[:, 4 * h:5 * h] + state[:, 4 * h:5 * h])
        return highway * output + (1 - highway) * projected[:, 5 * h:], memory

    def forward(self, sequences: list[Tensor], targets: list[Tensor] | None) -> list[Tensor]:
        """sequences: list of (L_i, input_dim) in sequence order; targets: list of (L_i,) labels
        fed back while training (teacher forcing), or None (greedy, background never chosen).
        Returns a list of (L_i, C_obj) logits."""
        lengths = [int(s.shape[0]) for s in sequences]
        steps, count = max(lengths, default=0), len(sequences)
        num_classes = self.classifier.out_features
        if steps == 0:
            anchor = sum(p.sum() for p in self.parameters()) * 0.0
            return [s.new_zeros((0, num_classes)) + anchor for s in sequences]
        device = sequences[0].device
        padded = torch.zeros((count, steps, sequences[0].shape[1]), device=device)
        forced = torch.zeros((count, steps), dtype=torch.long, device=device)
        for index, sequence in enumerate(sequences):
            padded[index, : sequence.shape[0]] = sequence
            if targets is not None:
                forced[index, : sequence.shape[0]] = targets[index]
        output = padded.new_zeros((count, self.hidden_dim))
        memory = padded.new_zeros((count, self.hidden_dim))
        mask = None
        if self.training and self.dropout > 0:
            mask = torch.bernoulli(output.new_full(output.shape, 1 - self.dropout)) / (1 - self.dropout)
        previous = torch.full((count,), self.start_token, dtype=torch.long, device=device)
        step_logits = []
        for step in range(steps):
            output, memory = self._step(torch.cat([padded[:, step], self.label_embed(previous)], dim=1), output, memory)
            if mask is not None:
                output = output * mask
            logits = self.classifier(output)
            step_logits.append(logits)
            # Rows past a sequence's end are computed and then dropped below.
            previous = forced[:, step] if targets is not None else object_labels_and_scores(logits.detach())[0]
        stacked = torch.stack(step_logits, dim=1)  # (count, steps, C_obj)
        return [stacked[index, :length] for index, length in enumerate(lengths)]
