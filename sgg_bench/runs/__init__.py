"""The run lifecycle: validate the config, create the run folder, train, predict, evaluate and
write the result record. ``sgg-bench train`` and ``sgg-bench eval --all`` both go through here.

    configs.py        which YAML layers make a run's config (dataset, head, overrides)
    validate.py       checks that need the code: head / model / detector keyword arguments, modes
    folder.py         run folder layout, run.json, finished / resume / --force rules, discovery
    provenance.py     git commit and software versions of a run
    evaluate.py       evaluator options from a config, evaluate one run folder -> record
    evaluate_all.py   ``eval --all``: every stale run folder
    solver.py         optimizer + schedule of a config (KT's recipe options)
    relation.py       build + train a relation model
    detector.py       train + score a detector
    train.py          ``sgg-bench train`` end to end
"""
