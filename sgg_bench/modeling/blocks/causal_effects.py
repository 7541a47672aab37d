"""The causal predictor's fusion and test-time effects (Tang et al., CVPR 2020; KT
``CausalAnalysisPredictor.calculate_logits`` and its ``EFFECT_TYPE`` branches), on branch logits.

SUM fusion: logits = vis + ctx + freq, with vis = vis_compress(union feature), ctx =
ctx_compress(pair context), freq = the frequency bias of the pair's classes. The counterfactual
("untreated") branches come from the same model with the running means in place of the real
inputs: ctx_untreated from the context built on the averaged inputs, freq_untreated from the
class distributions that context predicts. With f(ctx, freq) = vis + ctx + freq:

    none  f(ctx, freq)                                   the plain likelihood
    TDE   f(ctx, freq) - f(ctx_untreated, freq)          total direct effect of the context
    NIE   f(ctx_untreated, freq) - f(ctx_untreated, freq_untreated)   natural indirect effect
    TE    f(ctx, freq) - f(ctx_untreated, freq_untreated)             total effect

KT computes ``freq`` for TDE/NIE/TE from the class probabilities (``index_with_probability``) and
for ``none`` from the labels; the caller passes the one it needs. The visual term is the real
union feature's on both sides, so under SUM it cancels in every effect.
"""
from __future__ import annotations

from torch import Tensor

EFFECTS = ("none", "TDE", "NIE", "TE")
FUSIONS = ("sum",)


def sum_fusion(vis: Tensor, ctx: Tensor, freq: Tensor) -> Tensor:
    return vis + ctx + freq


def effect_logits(effect: str, *, vis: Tensor, ctx: Tensor, freq: Tensor, ctx_untreated: Tensor | None = None,
                  freq_untreated: Tensor | None = None) -> Tensor:
    """(M, C_rel) logits of ``effect`` from (M, C_rel) branch logits (untreated ones broadcast)."""
    if effect == "none":
        return sum_fusion(vis, ctx, freq)
    if effect not in EFFECTS:
        raise ValueError(f"causal effect: expected one of {EFFECTS}, found {effect!r}")
    if ctx_untreated is None or freq_untreated is None:
        raise ValueError(f"causal effect {effect}: the untreated context and frequency logits are required")
    if effect == "TDE":
        return sum_fusion(vis, ctx, freq) - sum_fusion(vis, ctx_untreated, freq)
    if effect == "NIE":
        return sum_fusion(vis, ctx_untreated, freq) - sum_fusion(vis, ctx_untreated, freq_untreated)
    return sum_fusion(vis, ctx, freq) - sum_fusion(vis, ctx_untreated, freq_untreated)
