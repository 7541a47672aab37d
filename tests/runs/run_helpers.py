"""Overrides that keep CLI training runs in the tests to a few seconds."""
FAST = ["detector.name=tiny", "dataset.num_val_im=1", "solver.ims_per_batch=2", "solver.max_iter=3",
        "solver.checkpoint_period=2", "solver.val_period=0", "solver.log_period=1", "test.ims_per_batch=2",
        "model.args.pairs_per_image=8", "solver.schedule=multistep"]
FROZEN = ["model.features.freeze=true", "model.features.rect_masks=false"]
