"""r1lit.tasks: synthetic verifiable tasks (``synthetic``) and the one correctness check per task (``checks``)."""

from r1lit.tasks.checks import NOT_APPLICABLE, applies, check, gold_text, records_from_columns, task_of

__all__ = ["NOT_APPLICABLE", "applies", "check", "gold_text", "records_from_columns", "task_of"]
