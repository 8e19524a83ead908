"""paper_figs: the DeepSeek-R1 paper's figures and tables, regenerated from r1lit run outputs.

One script per figure or table; each reads only run outputs (TensorBoard event files, heldout.jsonl,
r1lit-eval results JSON and per-sample JSONL), never a model. `python -m paper_figs.make_all DIR`
makes all of them for a run or sweep directory.
"""
