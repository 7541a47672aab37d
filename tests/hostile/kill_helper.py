"""Run a command in this process and hang at a chosen point, so a test can SIGKILL it exactly there.

    python kill_helper.py MARK FRAGMENT N sgg-bench ARGS...   hang when the N-th temporary file whose
                                                              name holds FRAGMENT is complete (after its
                                                              fsync, before its rename)
    python kill_helper.py MARK - N toy-inference RUN DATA     predict the toy images into RUN/predictions.h5,
                                                              hanging in the N-th prediction batch
MARK is created when the point is reached; the process then sleeps until killed.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE.parent / "engine")]


def _hang(mark: str) -> None:
    Path(mark).write_text("reached")
    while True:
        time.sleep(1)


def _hang_before_rename(mark: str, fragment: str, nth: int) -> None:
    real_fsync, seen = os.fsync, []

    def fsync(fd):
        real_fsync(fd)
        name = os.path.basename(os.readlink(f"/proc/self/fd/{fd}"))
        if name.endswith(".tmp") and fragment in name:
            seen.append(name)
            if len(seen) == nth:
                _hang(mark)
    os.fsync = fsync


def main(argv: list[str]) -> int:
    mark, fragment, nth, command, *rest = argv
    if command == "toy-inference":
        import torch
        from engine_toy import ToyModel, make_toy_dataset

        from sgg_bench.engine.inference import write_predictions
        torch.set_num_threads(1)
        run_dir, data_dir = rest
        model = ToyModel(dropout=0.0)
        real_predict, calls = model.predict, []

        def predict(batch):
            calls.append(1)
            if len(calls) == int(nth):
                _hang(mark)
            return real_predict(batch)
        model.predict = predict
        write_predictions(model, make_toy_dataset(data_dir), Path(run_dir) / "predictions.h5", dataset_name="toy",
                          mode="predcls", batch_size=3, progress=False)
        return 0
    _hang_before_rename(mark, fragment, int(nth))
    from sgg_bench.cli import main as cli_main
    return cli_main(rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
