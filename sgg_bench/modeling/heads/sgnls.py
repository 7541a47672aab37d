"""SGNLS's masked-token Transformer (Zhong et al., ICCV 2021; YiwuZhong/SGG_from_NLS
``UniterPredictor`` + ``UniterModel``), docs/MODELS.md ``sgnls``.

Per candidate pair one sequence (``blocks/pair_sequences.py``):
  text   [CLS] subj_tag [MASK] obj_tag [SEP]: word rows (tag vectors, C_tag + 3 rows) -> Linear ->
         + position + type 0 -> LayerNorm -> dropout
  region LN(Linear(feature)) + LN(Linear(7-d geometry)) + type (1 other, 2 subject, 3 object)
         -> LayerNorm -> dropout, for every box of the image
  encoder BERT layers (post-norm, GELU), attention over the pair's own sequence
Heads on the outputs h:
  predicate = MLP(h[MASK] + P1 h[subj_tag] + P2 h[obj_tag] + P3 h[subj_region] + P4 h[obj_region])
  subject   = MLP_obj(h[subj_region] + Proj(det_dist_subj @ tag table)), object the same MLP
A box's object logits are the mean over the pairs it takes part in (``average_over_pairs``).

Tags and ``det_dists`` come from the detector's class distribution over its own label space
(``num_tag_classes`` = C_tag, background column 0): in the language path the off-the-shelf
detector's (``sgg_bench/runs/language/``); through the standard relation-head contract the
dataset detector's softmax (PredCls: the GT labels one-hot), as SGNLS's online-detector variant.
"""
from __future__ import annotations


import torch
from torch import Tensor, nn

from sgg_bench.modeling.blocks.layer_init import xavier_linear
from sgg_bench.modeling.blocks.pair_sequences import (MASK_POSITION, OBJECT_TAG_POSITION, SUBJECT_TAG_POSITION,
                                                      TEXT_LENGTH, average_over_pairs, detector_tags,
                                                      region_geometry, region_positions, region_type_ids,
                                                      text_token_ids)
from sgg_bench.modeling.blocks.transformer_encoder import TransformerEncoder
from sgg_bench.modeling.contract import HeadNeeds
from sgg_bench.modeling.head_io import RelationHeadInputs, RelationHeadOutputs, one_hot_logits
from sgg_bench.modeling.sgnls_loss import PairwiseObjectOutputs, SgnlsLoss
from sgg_bench.registry import RELATION_HEADS


def _mlp(width: int, num_classes: int) -> nn.Sequential:
    """Linear-ReLU-Linear, Xavier-normal weights and zero biases (the reference's ``layer_init``)."""
    return nn.Sequential(xavier_linear(width, width), nn.ReLU(), xavier_linear(width, num_classes))


@RELATION_HEADS.register(
    "sgnls", paper="Zhong et al., Learning to Generate Scene Graph from Natural Language Supervision, ICCV 2021",
    reference="YiwuZhong/SGG_from_NLS maskrcnn_benchmark/modeling/roi_heads/relation_head/roi_relation_predictors.py "
              "(UniterPredictor), model_uniter.py (UniterModel)",
    modes=("predcls", "sgcls", "sgdet"))
class SgnlsHead(nn.Module):
    """Masked-token Transformer relation head.

    word_vectors:   (C_tag, E) vectors of the tag vocabulary (the detector's classes); through the
                    contract these are the dataset's class vectors (C_tag = num_obj_classes)
    num_tag_classes: C_tag when ``word_vectors`` is None (default: num_obj_classes)
    embed_dim:      E when ``word_vectors`` is None (GloVe 200-d in the reference)
    hidden_dim, num_layers, num_heads, inner_dim: BERT sizes (reference: 768, 2, 12, 3072)
    dropout:        hidden and attention dropout (0.1); max_positions: text position rows (512)
    pair_chunk:     sequences encoded at once (bounds memory at inference: N(N-1) pairs)
    """

    needs = HeadNeeds(word_vectors=True)
    requires_training = True
    refines_objects = True
    loss = SgnlsLoss

    def __init__(self, *, num_obj_classes: int, num_rel_classes: int, obj_feature_dim: int, union_feature_dim: int,
                 word_vectors: Tensor | None = None, num_tag_classes: int | None = None, embed_dim: int = 200,
                 hidden_dim: int = 768, num_layers: int = 2, num_heads: int = 12, inner_dim: int = 3072,
                 dropout: float = 0.1, max_positions: int = 512, pair_chunk: int = 1024):
        super().__init__()
        if hidden_dim % num_heads:
            raise ValueError(f"sgnls head: hidden_dim {hidden_dim} is not a multiple of num_heads {num_heads}")
        if word_vectors is not None:
            word_vectors = torch.as_tensor(word_vectors, dtype=torch.float32)
            if word_vectors.dim() != 2:
                raise ValueError(f"sgnls head: word_vectors: expected (C_tag, E), found {tuple(word_vectors.shape)}")
            num_tag_classes, embed_dim = int(word_vectors.shape[0]), int(word_vectors.shape[1])
        self.num_tag_classes = int(num_tag_classes if num_tag_classes is not None else num_obj_classes)
        self.num_obj_classes, self.num_rel_classes = int(num_obj_classes), int(num_rel_classes)
        self.pair_chunk = max(1, int(pair_chunk))
        # Text embeddings (UniterTextEmbeddings): tag rows + [CLS], [SEP], [MASK].
        self.word_embeddings = nn.Embedding(self.num_tag_classes + 3, embed_dim)
        self.word_proj = nn.Linear(embed_dim, hidden_dim)
        self.position_embeddings = nn.Embedding(max_positions, hidden_dim)
        self.type_embeddings = nn.Embedding(4, hidden_dim)
        self.text_norm = nn.LayerNorm(hidden_dim, eps=1e-12)
        # Region embeddings (UniterImageEmbeddings).
        self.region_linear = nn.Linear(obj_feature_dim, hidden_dim)
        self.region_norm = nn.LayerNorm(hidden_dim, eps=1e-12)
        self.geometry_linear = nn.Linear(7, hidden_dim)
        self.geometry_norm = nn.LayerNorm(hidden_dim, eps=1e-12)
        self.region_out_norm = nn.LayerNorm(hidden_dim, eps=1e-12)
        self.dropout = nn.Dropout(dropout)
        self.encoder = TransformerEncoder(num_layers=num_layers, d_model=hidden_dim, num_heads=num_heads,
                                          key_dim=hidden_dim // num_heads, value_dim=hidden_dim // num_heads,
                                          inner_dim=inner_dim, dropout=dropout, activation="gelu", norm_eps=1e-12)
        self._bert_init()
        # The predictor's own layers (Xavier, as the reference's layer_init).
        self.tag_table = nn.Embedding(self.num_tag_classes, embed_dim)
        self.tag_proj = xavier_linear(embed_dim, hidden_dim)
        self.subject_text_proj = xavier_linear(hidden_dim, hidden_dim)
        self.object_text_proj = xavier_linear(hidden_dim, hidden_dim)
        self.subject_region_proj = xavier_linear(hidden_dim, hidden_dim)
        self.object_region_proj = xavier_linear(hidden_dim, hidden_dim)
        self.rel_classifier = _mlp(hidden_dim, num_rel_classes)
        self.obj_classifier = _mlp(hidden_dim, num_obj_classes)
        if word_vectors is not None:
            with torch.no_grad():
                self.word_embeddings.weight[: self.num_tag_classes].copy_(word_vectors)
                self.tag_table.weight.copy_(word_vectors)

    def _bert_init(self) -> None:
        """UniterPreTrainedModel.init_weights: normal(0, 0.02) linear and embedding weights, zero biases."""
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if isinstance(module, nn.Linear) and module.bias is not None:
                nn.init.zeros_(module.bias)
            if isinstance(module, nn.LayerNorm):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    # ------------------------------------------------------------------ sequences
    def _text(self, tags: Tensor, pairs: Tensor) -> Tensor:
        ids = text_token_ids(tags, pairs, num_tag_classes=self.num_tag_classes)                 # (M, 5)
        positions = torch.arange(TEXT_LENGTH, device=ids.device)
        x = self.word_proj(self.word_embeddings(ids)) + self.position_embeddings(positions)[None]
        x = x + self.type_embeddings(torch.zeros_like(ids))
        return self.dropout(self.text_norm(x))

    def _regions(self, features: Tensor, geometry: Tensor, pairs: Tensor) -> Tensor:
        base = self.region_norm(self.region_linear(features)) + self.geometry_norm(self.geometry_linear(geometry))
        types = region_type_ids(features.shape[0], pairs)                                        # (M, N)
        return self.dropout(self.region_out_norm(base[None] + self.type_embeddings(types)))

    def _score_chunk(self, features: Tensor, geometry: Tensor, det_dists: Tensor, tags: Tensor,
                     pairs: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        x = torch.cat([self._text(tags, pairs), self._regions(features, geometry, pairs)], dim=1)  # (M, 5+N, d)
        padding = torch.zeros(x.shape[:2], dtype=torch.bool, device=x.device)
        h = self.encoder.encode_padded(x, padding)
        rows = torch.arange(pairs.shape[0], device=pairs.device)
        subject_at, object_at = region_positions(pairs)
        subject_region, object_region = h[rows, subject_at], h[rows, object_at]
        rel = (h[:, MASK_POSITION] + self.subject_text_proj(h[:, SUBJECT_TAG_POSITION])
               + self.object_text_proj(h[:, OBJECT_TAG_POSITION]) + self.subject_region_proj(subject_region)
               + self.object_region_proj(object_region))
        tag_vectors = det_dists @ self.tag_table.weight                                          # (N, E)
        subject = subject_region + self.tag_proj(tag_vectors[pairs[:, 0]])
        obj = object_region + self.tag_proj(tag_vectors[pairs[:, 1]])
        return self.rel_classifier(rel), self.obj_classifier(subject), self.obj_classifier(obj)

    def score_pairs(self, *, features: Tensor, boxes: Tensor, image_size: tuple[int, int], det_dists: Tensor,
                    pairs: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """One image: features (N, D), boxes (N, 4) xyxy in the frame of ``image_size`` (H, W),
        det_dists (N, C_tag) probabilities, pairs (M, 2) -> predicate (M, C_rel), subject and
        object logits (M, C_obj)."""
        if det_dists.shape[1] != self.num_tag_classes:
            raise ValueError(f"sgnls head: det_dists: expected {self.num_tag_classes} columns, "
                             f"found {det_dists.shape[1]}")
        if pairs.shape[0] == 0:
            anchor = sum(p.sum() for p in self.parameters()) * 0.0   # backward works without pairs
            return (features.new_zeros((0, self.num_rel_classes)) + anchor,
                    features.new_zeros((0, self.num_obj_classes)) + anchor,
                    features.new_zeros((0, self.num_obj_classes)) + anchor)
        det_dists = det_dists.to(features.dtype)
        geometry = region_geometry(boxes, image_size).to(features.dtype)
        tags = detector_tags(det_dists)
        parts = [self._score_chunk(features, geometry, det_dists, tags, chunk)
                 for chunk in torch.split(pairs, self.pair_chunk)]
        return tuple(torch.cat(p, dim=0) for p in zip(*parts))

    # ------------------------------------------------------------------ the contract
    def forward(self, inputs: RelationHeadInputs) -> RelationHeadOutputs:
        rel_logits, subject_logits, object_logits, obj_logits = [], [], [], []
        for i, pairs in enumerate(inputs.pairs):
            if inputs.mode == "predcls":
                dists = torch.softmax(one_hot_logits(inputs.obj_labels[i], self.num_tag_classes), dim=1)
            else:
                dists = torch.softmax(inputs.obj_logits[i].detach().float(), dim=1)
            rel, subject, obj = self.score_pairs(features=inputs.obj_features[i], boxes=inputs.boxes[i],
                                                 image_size=inputs.image_sizes[i], det_dists=dists, pairs=pairs)
            rel_logits.append(rel)
            subject_logits.append(subject)
            object_logits.append(obj)
            obj_logits.append(average_over_pairs(subject, obj, pairs, inputs.boxes[i].shape[0]))
        return PairwiseObjectOutputs(rel_logits=rel_logits, obj_logits=obj_logits, subject_logits=subject_logits,
                                     object_logits=object_logits, pairs=list(inputs.pairs))
