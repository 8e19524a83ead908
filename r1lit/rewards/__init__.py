"""r1lit.rewards: plain reward functions and their weighted composition (no Lightning, no printing).

Every reward has the TRL-compatible signature

    fn(completions: list[str], *, answer: list[str], **columns) -> list[float | None]

Config-time options are keyword-only parameters, bound with `functools.partial` or Hydra
`_partial_: true` (conf/reward/<name>.yaml). Columns a reward may read: `prompts` (rendered prompt
texts; a trailing `<think>` marks a prefilled think block), `completion_ids` (token lengths),
`question`, `language`, `tests`, and the task columns `task`, `numbers`, `target` (the accuracy and
cosine rewards check each sample by its task's rule, `r1lit.tasks.check`); unknown columns are
ignored. `None` means "this reward does not count for this sample": it does not apply (a program
for `accuracy`, a math problem for `code`) or cannot judge it (bad gold); the sample is excluded
from the advantages only when no outcome reward applies (compose.py's None rule). A reward reports failures by incrementing the optional `stats`
(collections.Counter) column, which `compute_rewards` provides per term.

| name (conf/reward)  | function                                   | range                       |
|---------------------|--------------------------------------------|-----------------------------|
| accuracy            | accuracy.accuracy_reward                   | {0, 1}; None: bad gold, code/general sample |
| format              | format.format_reward                       | {0, 1}                      |
| tag_count           | format.tag_count_reward                    | {0, .25, .5, .75, 1}        |
| reasoning_steps     | format.reasoning_steps_reward              | [0, 1]                      |
| cosine              | length.cosine_length_reward                | [min_wrong, max_correct]; None as accuracy |
| overlong            | length.overlong_reward                     | [-1, 0]                     |
| repetition          | repetition.repetition_reward               | [-max_penalty, 0]           |
| language            | language.language_consistency_reward       | [0, 1]                      |
| code                | code.code_reward                           | [0, 1] or None (no tests)   |
| reward_model        | reward_model.reward_model_reward           | classifier logit / prob     |

Submodules are imported on use (`r1lit.rewards.accuracy` pulls in the grader, `reward_model`
pulls in torch/transformers only when called), so this package import stays cheap.
"""

from r1lit.rewards.compose import (
    RewardBatch,
    RewardFn,
    RewardTerm,
    build_reward_terms,
    compute_rewards,
    reward_metrics,
    score_one,
)

__all__ = [
    "RewardBatch",
    "RewardFn",
    "RewardTerm",
    "build_reward_terms",
    "compute_rewards",
    "reward_metrics",
    "score_one",
]
