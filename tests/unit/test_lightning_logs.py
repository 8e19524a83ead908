"""r1lit-train's console: a Lightning message prints once, and the known noise not at all.

Each case runs in a fresh interpreter: `import lightning` installs its handler once per process, so the
order "root logger configured (as Hydra does), then lightning imported" must be reproduced from scratch.
"""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import logging, warnings
logging.basicConfig(level=logging.INFO, format="[%(name)s][%(levelname)s] - %(message)s")  # Hydra's job logging
warnings.simplefilter("always")
import lightning as L
from lightning.pytorch.utilities import rank_zero_info, rank_zero_warn
L.seed_everything(1)  # before: lightning's own handler repeats the root's line
from r1lit.stages.lightning_logs import tame_lightning_logs
tame_lightning_logs()
tame_lightning_logs()  # a pipeline trains several stages in one process
L.seed_everything(3)
rank_zero_info("💡 Tip: For seamless cloud logging and experiment tracking, try installing [litlogger]")
rank_zero_warn("Using ModelCheckpoint with manual optimization and every_n_train_steps, but no state")
rank_zero_warn("Your `IterableDataset` has `__len__` defined. In combination with ...")
rank_zero_warn("a warning r1lit does not know")
"""


def test_lightning_messages_print_once_without_the_known_noise() -> None:
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout + proc.stderr
    assert out.count("Seed set to 1") == 2, out  # the defect, reproduced in this interpreter
    assert out.count("Seed set to 3") == 1, out
    assert "litlogger" not in out
    assert "manual optimization" not in out and "IterableDataset" not in out
    assert out.count("a warning r1lit does not know") == 1  # other warnings still show
