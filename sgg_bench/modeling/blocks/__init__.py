"""Parts several relation heads share. A head imports blocks, never another head.

    frequency_bias.py        the (subject class, object class) predicate log-prior lookup
    geometry.py              the 9-d box code, the labels a head conditions on
    position.py              the Motifs-family position encoder (with its BatchNorm)
    class_embedding.py       class embeddings from word vectors; the detector-softmax mix
    sequence.py              box orders and running LSTMs over per-image box sequences
    label_decoder.py         Motifs' highway-LSTM object decoder
    tree_building.py, tree_scores.py, tree_lstm.py    VCTree's trees, pair scores and tree-LSTMs
    transformer_encoder.py, transformer_context.py    the Transformer object/edge context
    vtranse_context.py       VTransE's object and edge features
    context_outputs.py       what a context block hands its head's predicate classifier
    pair_geometry.py         the reference's 32-d box-pair code (get_box_pair_info)
    pair_spatial.py          the causal predictor's spatial embedding of that code
    pairwise_features.py     PySGG's object and pair representations (Graph R-CNN)
    attentional_gcn.py       Graph R-CNN's attentional graph convolution
    reldn_spatial.py         RelDN's 28-d pair geometry
    contrastive_losses.py    RelDN's graphical contrastive losses
    batch_pairs.py           batch-level views of per-image pairs and labels
    layer_init.py            linear layers with the reference's initialisations
    direction_aware_messages.py  GPS-Net's triplet gate and direction-aware message passing
"""
