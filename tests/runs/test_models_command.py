"""`sgg-bench models`: every head with its counts; the X-101-FPN relation-stage extractors have
exactly the trainable parameters of the reference layout (KT's ``ROIRelationHead``)."""
import json

from sgg_bench.cli import main
from sgg_bench.registry import RELATION_HEADS


def kt_reference_counts(channels=256, resolution=7, mlp_dim=4096, levels=4):
    """KT's relation-stage extractors from their layer shapes (VG150 X-101-FPN config)."""
    fc = lambda i, o: i * o + o  # noqa: E731
    conv = lambda i, o, k: i * o * k * k + o  # noqa: E731
    flat = channels * resolution * resolution
    box = fc(flat, mlp_dim) + fc(mlp_dim, mlp_dim)
    rect = conv(2, channels // 2, 7) + 2 * (channels // 2) + conv(channels // 2, channels, 3) + 2 * channels
    return {"box": box, "union": box, "union_reduce": conv(channels * levels, channels, 3), "rect_masks": rect}


def test_json_rows_and_reference_feature_counts(capsys):
    assert main(["models", "--dataset", "vg", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [row["name"] for row in rows if not row["variant"]] == RELATION_HEADS.names()
    for row in rows:
        assert {"name", "params_head", "params_features", "modes", "paper", "reference"} <= set(row)
        assert row["num_obj_classes"] == 151 and row["num_rel_classes"] == 51 and row["feature_dim"] == 4096
    reference = kt_reference_counts()
    assert sum(reference.values()) == 138_999_424
    by_name = {row["name"]: row for row in rows if not row["variant"]}
    for name in ("imp", "motifs", "vctree", "transformer", "vtranse"):  # heads that read box and union features
        # train all four parts
        assert by_name[name]["params_features_detail"] == reference
        assert by_name[name]["params_features"] == 138_999_424
    assert by_name["frequency"]["params_head"] == 0 and by_name["frequency"]["params_features"] == 0


def test_synthetic_configs_freeze_the_extractors(capsys):
    assert main(["models", "--dataset", "synth"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["name", "modes", "params_head", "params_features"]
    assert all(line.split()[3] == "0" for line in lines[1:])  # frozen on CPU: nothing before the head trains


def kt_motif_predictor_count(objects=151, predicates=51, embed=200, hidden=512, feature=4096, position=128):
    """KT's MotifPredictor + LSTMContext from their layer shapes (VG150, X-101-FPN, GloVe 200-d)."""
    fc = lambda i, o: i * o + o  # noqa: E731
    bilstm = lambda i, h: 2 * 4 * (i * h + h * h + 2 * h)  # noqa: E731
    context_input = feature + embed + position
    return (2 * objects * embed                                   # obj_embed1, obj_embed2
            + fc(9, 32) + 2 * 32 + fc(32, position)               # pos_embed with its BatchNorm
            + bilstm(context_input, hidden)                       # obj_ctx_rnn
            + (objects + 1) * embed + fc(hidden + context_input + embed, 6 * hidden)
            + fc(hidden, 5 * hidden) + fc(hidden, objects)        # decoder_rnn (highway LSTM)
            + bilstm(embed + hidden + feature, hidden)            # edge_ctx_rnn
            + 2 * fc(2 * hidden, hidden)                          # lin_obj_h, lin_edge_h
            + fc(hidden, 2 * hidden) + fc(2 * hidden, feature)    # post_emb, post_cat
            + fc(feature, predicates) + objects * objects * predicates)  # rel_compress, freq_bias


def test_motifs_has_the_reference_parameter_count(capsys):
    assert main(["models", "--dataset", "vg", "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert kt_motif_predictor_count() == 66_437_085
    assert rows["motifs"]["params_head"] == kt_motif_predictor_count()


def test_imp_has_the_reference_parameter_count(capsys):
    """KT's IMPPredictor + IMPContext (no frequency bias: KT hard-codes it off)."""
    fc = lambda i, o: i * o + o  # noqa: E731
    gru_cell = lambda i, h: 3 * h * (i + h) + 6 * h  # noqa: E731
    reference = 2 * fc(4096, 512) + 2 * gru_cell(512, 512) + 4 * fc(1024, 1) + fc(512, 151) + fc(512, 51)
    assert reference == 7_454_926
    assert main(["models", "--dataset", "vg", "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert rows["imp"]["params_head"] == reference
