"""Relation heads; importing this package registers each one in ``RELATION_HEADS``."""
from sgg_bench.modeling.heads import frequency, imp, motifs  # noqa: F401  (registration)
from sgg_bench.modeling.heads.frequency import FrequencyHead
from sgg_bench.modeling.heads.imp import IMPHead
from sgg_bench.modeling.heads.motifs import MotifsHead

__all__ = ["FrequencyHead", "IMPHead", "MotifsHead"]
