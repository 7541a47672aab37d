"""Relation models: SceneGraphModel, relation heads (registered in RELATION_HEADS), pair
sampling, the ranking post-processor and word vectors."""
from sgg_bench.modeling import heads  # noqa: F401  (registers the heads)
from sgg_bench.modeling.head_io import RelationHeadInputs, RelationHeadOutputs
from sgg_bench.modeling.sgg_model import SceneGraphModel

__all__ = ["RelationHeadInputs", "RelationHeadOutputs", "SceneGraphModel"]
