"""Parts several relation heads share. A head imports blocks, never another head.

    frequency_bias.py  the (subject class, object class) predicate log-prior lookup
    geometry.py        box geometry encoding, the labels a head conditions on
    sequence.py        box orders and running LSTMs over per-image box sequences
"""
