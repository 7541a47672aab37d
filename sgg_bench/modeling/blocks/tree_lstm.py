"""Tree-LSTMs over binary trees (KT ``utils_treelstm.py``), run one tree level at a time for a
whole batch (``tree_building.Forest``): the same equations as KT's node-by-node recursion.

Up (leaves to root, KT ``BiTreeLSTM_Foreward``), hidden size ``h``, node input ``x``, children
states (zeros where a child is absent):
  i, o, f_l, f_r, u, r = split6(W_x x + W_l h_left + W_r h_right)   (sigmoid; u: tanh)
  c = i*u + f_l*c_left + f_r*c_right;  h = r * o*tanh(c) + (1 - r) * P x
Down (root to leaves, KT ``BiTreeLSTM_Backward``), parent state (zeros at the root):
  i, o, f, u, r = split5(W_x x + W_p h_parent);  c = i*u + f*c_parent;  h = r * o*tanh(c) + (1 - r) * P x
Dropout (training only): one mask per image and per direction, multiplied into ``h`` (which is
also the state the next level reads), as KT.
Initialisation as KT: every (h x in) block of the weights orthogonal, biases 0, forget-gate biases
0.5 (up, both children) and 1.0 (down).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sgg_bench.modeling.blocks.tree_building import Forest


def block_orthogonal_(weight: Tensor, block_rows: int) -> None:
    """Each ``block_rows``-row block of ``weight`` (out, in) set to a random orthogonal matrix
    (KT ``block_orthogonal``: its square draw cut to the block has the same distribution)."""
    with torch.no_grad():
        for start in range(0, weight.shape[0], block_rows):
            nn.init.orthogonal_(weight[start:start + block_rows])


def init_cell(layers: list[nn.Linear], hidden_dim: int, forget_gates: list[nn.Linear], forget: slice,
              value: float) -> None:
    """KT's tree-LSTM init: block-orthogonal weights, zero biases, ``value`` on the forget-gate rows."""
    for layer in layers:
        block_orthogonal_(layer.weight, hidden_dim)
        nn.init.zeros_(layer.bias)
    with torch.no_grad():
        for layer in forget_gates:
            layer.bias[forget] = value


def dropout_masks(probability: float, num_images: int, size: int, *, device, training: bool) -> Tensor | None:
    """(num_images, size) scaled keep masks, or None when there is no dropout to apply."""
    if not training or probability <= 0.0:
        return None
    keep = torch.rand((num_images, size), device=device) > probability
    return keep.float() / (1.0 - probability)


class UpTreeLSTM(nn.Module):
    """Leaves to root. forward(forest, inputs (N, in), masks (num_images, h) | None) -> (N, h)."""

    def __init__(self, in_dim: int, hidden_dim: int):
        super().__init__()
        self.hidden_dim = int(hidden_dim)
        self.input_proj = nn.Linear(in_dim, hidden_dim)          # KT px
        self.input_gates = nn.Linear(in_dim, 6 * hidden_dim)     # KT ioffux
        self.left_gates = nn.Linear(hidden_dim, 6 * hidden_dim)  # KT ioffuh_left
        self.right_gates = nn.Linear(hidden_dim, 6 * hidden_dim)  # KT ioffuh_right
        init_cell([self.input_proj, self.input_gates, self.left_gates, self.right_gates], self.hidden_dim,
                  [self.left_gates, self.right_gates], slice(2 * hidden_dim, 4 * hidden_dim), 0.5)

    def forward(self, forest: Forest, inputs: Tensor, masks: Tensor | None) -> Tensor:
        n, h = forest.num_nodes, self.hidden_dim
        hidden = inputs.new_zeros((n + 1, h))  # row n: the absent child
        memory = inputs.new_zeros((n + 1, h))
        projected, gates_x = self.input_proj(inputs), self.input_gates(inputs)
        for level in forest.up_levels:
            left = torch.where(forest.left[level] < 0, n, forest.left[level])
            right = torch.where(forest.right[level] < 0, n, forest.right[level])
            gates = gates_x[level] + self.left_gates(hidden[left]) + self.right_gates(hidden[right])
            i, o, f_left, f_right, u, r = gates.chunk(6, dim=1)
            c = (torch.sigmoid(i) * torch.tanh(u) + torch.sigmoid(f_left) * memory[left]
                 + torch.sigmoid(f_right) * memory[right])
            gate = torch.sigmoid(r)
            out = gate * (torch.sigmoid(o) * torch.tanh(c)) + (1 - gate) * projected[level]
            if masks is not None:
                out = out * masks[forest.image[level]]
            hidden = hidden.index_copy(0, level, out)
            memory = memory.index_copy(0, level, c)
        return hidden[:n]


class DownTreeLSTM(nn.Module):
    """Root to leaves. forward(forest, inputs (N, in), masks) -> (N, h)."""

    def __init__(self, in_dim: int, hidden_dim: int):
        super().__init__()
        self.hidden_dim = int(hidden_dim)
        self.input_proj = nn.Linear(in_dim, hidden_dim)          # KT px
        self.input_gates = nn.Linear(in_dim, 5 * hidden_dim)     # KT iofux
        self.parent_gates = nn.Linear(hidden_dim, 5 * hidden_dim)  # KT iofuh
        init_cell([self.input_proj, self.input_gates, self.parent_gates], self.hidden_dim, [self.parent_gates],
                  slice(2 * hidden_dim, 3 * hidden_dim), 1.0)

    def step(self, step_input: Tensor, parent_hidden: Tensor, parent_memory: Tensor) -> tuple[Tensor, Tensor]:
        """One level: (K, in) inputs and (K, h) parent states -> (output (K, h), memory (K, h))."""
        i, o, f, u, r = (self.input_gates(step_input) + self.parent_gates(parent_hidden)).chunk(5, dim=1)
        c = torch.sigmoid(i) * torch.tanh(u) + torch.sigmoid(f) * parent_memory
        gate = torch.sigmoid(r)
        return gate * (torch.sigmoid(o) * torch.tanh(c)) + (1 - gate) * self.input_proj(step_input), c

    def forward(self, forest: Forest, inputs: Tensor, masks: Tensor | None) -> Tensor:
        n, h = forest.num_nodes, self.hidden_dim
        hidden = inputs.new_zeros((n + 1, h))  # row n: the root's absent parent
        memory = inputs.new_zeros((n + 1, h))
        for level in forest.down_levels:
            parent = torch.where(forest.parent[level] < 0, n, forest.parent[level])
            out, c = self.step(inputs[level], hidden[parent], memory[parent])
            if masks is not None:
                out = out * masks[forest.image[level]]
            hidden = hidden.index_copy(0, level, out)
            memory = memory.index_copy(0, level, c)
        return hidden[:n]


class BiTreeLSTM(nn.Module):
    """KT ``MultiLayer_BTreeLSTM``: ``num_layers`` layers, each [up, down] with ``out_dim // 2``
    per direction, concatenated (up first); dropout only between stacked layers' directions as KT
    (``dropout`` applies when ``num_layers > 1``)."""

    def __init__(self, in_dim: int, out_dim: int, *, num_layers: int = 1, dropout: float = 0.0):
        super().__init__()
        half = int(out_dim) // 2
        self.dropout = float(dropout) if num_layers > 1 else 0.0
        self.layers = nn.ModuleList()
        for index in range(num_layers):
            layer_in = in_dim if index == 0 else 2 * half
            self.layers.append(nn.ModuleList([UpTreeLSTM(layer_in, half), DownTreeLSTM(layer_in, half)]))

    def forward(self, forest: Forest, inputs: Tensor, num_images: int) -> Tensor:
        """(N, in) -> (N, 2 * (out_dim // 2))."""
        for up, down in self.layers:
            masks = [dropout_masks(self.dropout, num_images, lstm.hidden_dim, device=inputs.device,
                                   training=self.training) for lstm in (up, down)]
            inputs = torch.cat([up(forest, inputs, masks[0]), down(forest, inputs, masks[1])], dim=1)
        return inputs


class TreeLabelDecoder(nn.Module):
    """VCTree's object decoder (KT ``DecoderTreeLSTM``, direction "backward"): a root-to-leaves
    tree-LSTM whose node input is [features, embedding of the parent's label] (row 0 = start token
    at the root, row c + 1 = class c). Each node's logits = classifier(h); the label passed to its
    children is sampled from the foreground softmax while training and its argmax at test time.
    The returned labels are always the foreground argmax (KT's "commitments")."""

    def __init__(self, *, input_dim: int, embed_dim: int, hidden_dim: int, num_obj_classes: int,
                 word_vectors: Tensor | None = None, dropout: float = 0.2):
        super().__init__()
        self.dropout = float(dropout)
        self.label_embed = nn.Embedding(num_obj_classes + 1, embed_dim)
        if word_vectors is not None:
            with torch.no_grad():
                self.label_embed.weight[1:].copy_(word_vectors)
        self.classifier = nn.Linear(hidden_dim, num_obj_classes)
        self.lstm = DownTreeLSTM(input_dim + embed_dim, hidden_dim)

    def forward(self, forest: Forest, inputs: Tensor, num_images: int) -> tuple[Tensor, Tensor]:
        """inputs (N, input_dim) -> logits (N, C_obj) and labels (N,) int64 (>= 1)."""
        n, h = forest.num_nodes, self.lstm.hidden_dim
        masks = dropout_masks(self.dropout, num_images, h, device=inputs.device, training=self.training)
        hidden = inputs.new_zeros((n + 1, h))
        memory = inputs.new_zeros((n + 1, h))
        logits = inputs.new_zeros((n, self.classifier.out_features))
        passed = torch.zeros(n + 1, dtype=torch.long, device=inputs.device)   # embedding row given on
        labels = torch.zeros(n, dtype=torch.long, device=inputs.device)
        for level in forest.down_levels:
            parent = torch.where(forest.parent[level] < 0, n, forest.parent[level])
            step_input = torch.cat([inputs[level], self.label_embed(passed[parent])], dim=1)
            out, c = self.lstm.step(step_input, hidden[parent], memory[parent])
            if masks is not None:
                out = out * masks[forest.image[level]]
            level_logits = self.classifier(out)
            foreground = F.softmax(level_logits.detach(), dim=1)[:, 1:]
            best = foreground.argmax(dim=1) + 1
            given = torch.multinomial(foreground, 1).flatten() + 1 if self.training else best
            hidden = hidden.index_copy(0, level, out)
            memory = memory.index_copy(0, level, c)
            logits = logits.index_copy(0, level, level_logits)
            labels[level] = best
            passed[level] = given + 1
        return logits, labels
