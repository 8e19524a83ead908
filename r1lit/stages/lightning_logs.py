"""Lightning's console output under r1lit-train: every line once, and none of the noise r1lit knows is moot.

`import lightning` attaches its own console handler (`INFO: ...`) to the `lightning` logger, which also
propagates to the root logger that Hydra's job logging set up (`[time][logger][INFO] - ...`): every
Lightning message came out twice. Under a configured root logger the package's own handler is dropped.
"""

from __future__ import annotations

import logging
import re
import warnings

# Advertisements for Lightning's cloud products (litlogger, litmodels): nothing a run can act on.
_NOISE_PREFIXES = ("💡 Tip: For seamless cloud",)
# Warnings that do not apply to r1lit's training loops (message prefixes):
_MOOT_WARNINGS = (
    # GRPO (manual optimization) checkpoints the policy after its optimizer step on purpose: a resumed
    # run continues from the state at `global_step`, which is the post-step state.
    "Using ModelCheckpoint with manual optimization and every_n_train_steps",
    # The step-indexed loaders run with num_workers=0, so the length cannot be split across workers.
    "Your `IterableDataset` has `__len__` defined",
)


class _DropNoise(logging.Filter):
    """Drops the records whose message starts with one of `_NOISE_PREFIXES`."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(_NOISE_PREFIXES)


def tame_lightning_logs() -> None:
    """Print each Lightning message once and silence known noise; call after `import lightning`.

    Idempotent (a pipeline trains several stages in one process).
    """
    import lightning  # noqa: F401  (its __init__ adds the handler removed below)

    package = logging.getLogger("lightning")
    if logging.getLogger().handlers:  # the root logger prints: the package's own handler would repeat it
        for handler in list(package.handlers):
            if type(handler) is logging.StreamHandler:
                package.removeHandler(handler)
    for name in ("lightning.pytorch.utilities.rank_zero", "lightning.fabric.utilities.rank_zero"):
        source = logging.getLogger(
            name
        )  # rank_zero_info logs here; a filter on a logger sees its own records
        if not any(isinstance(f, _DropNoise) for f in source.filters):
            source.addFilter(_DropNoise())
    for pattern in _MOOT_WARNINGS:
        warnings.filterwarnings("ignore", message=re.escape(pattern))
