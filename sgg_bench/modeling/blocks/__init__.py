"""Parts several relation heads share. A head imports blocks, never another head.

    frequency_bias.py        the (subject class, object class) predicate log-prior lookup
    geometry.py              the 9-d box code, the labels a head conditions on
    position.py              the Motifs-family position encoder (with its BatchNorm)
    class_embedding.py       class embeddings from word vectors; the detector-softmax mix
    sequence.py              box orders and running LSTMs over per-image box sequences
    label_decoder.py         Motifs' highway-LSTM object decoder
    motifs_context.py        Motifs' object/edge context (KT LSTMContext), also the causal head's
    vctree_context.py        VCTree's tree + object/edge context (KT VCTreeLSTMContext), also causal's
    tree_building.py, tree_scores.py, tree_lstm.py    VCTree's trees, pair scores and tree-LSTMs
    transformer_encoder.py, transformer_context.py    the Transformer object/edge context
    vtranse_context.py       VTransE's object and edge features, also the causal head's
    running_mean.py          the causal predictor's running means of training inputs
    causal_effects.py        SUM fusion and the TDE / NIE / TE arithmetic
    context_outputs.py       what a context block hands its head's predicate classifier
    pair_geometry.py         the reference's 32-d box-pair code (get_box_pair_info)
    pair_spatial.py          the causal predictor's spatial embedding of that code
    pairwise_features.py     PySGG's object and pair representations (Graph R-CNN, BGNN)
    attentional_gcn.py       Graph R-CNN's attentional graph convolution
    node_messages.py         per-node message means and the residual update of MSDN / BGNN
    bgnn_confidence.py       BGNN's relation confidence estimation and its focal loss
    bgnn_message_passing.py  BGNN's confidence-gated bipartite message passing
    reldn_spatial.py         RelDN's 28-d pair geometry
    contrastive_losses.py    RelDN's graphical contrastive losses
    batch_pairs.py           batch-level views of per-image pairs and labels
    layer_init.py            linear layers with the reference's initialisations
    direction_aware_messages.py  GPS-Net's triplet gate and direction-aware message passing
"""
