"""Prompt templates: the paper's Table 1 text, the boxed chat message, the registry."""

from __future__ import annotations

import pytest

from r1lit.prompts import TEMPLATES, build_prompt

TABLE_1 = (
    "A conversation between User and Assistant. The user asks a question, and the Assistant solves it. "
    "The assistant first thinks about the reasoning process in the mind and then provides the user with the "
    "answer. The reasoning process and answer are enclosed within <think> </think> and <answer> </answer> "
    "tags, respectively, i.e., <think> reasoning process here </think> <answer> answer here </answer>. "
    "User: Compute 8+7*3-5. Assistant:"
)


def test_r1_zero_is_table_1_raw_text() -> None:
    assert build_prompt("r1_zero", "Compute 8+7*3-5") == TABLE_1


def test_chat_boxed_is_one_user_message() -> None:
    prompt = build_prompt("chat_boxed", "Compute 8+7*3-5")
    assert prompt == [
        {
            "role": "user",
            "content": "Compute 8+7*3-5\nPlease reason step by step, and put your final answer within \\boxed{}.",
        }
    ]


def test_registry_and_unknown_name() -> None:
    assert set(TEMPLATES) == {"r1_zero", "chat_boxed"}
    with pytest.raises(ValueError, match=r"unknown prompt template 'r1'.*chat_boxed.*r1_zero"):
        build_prompt("r1", "x")


def test_templates_do_not_import_lightning() -> None:
    import subprocess
    import sys

    code = "import sys, r1lit.prompts; sys.exit('lightning' in sys.modules or 'pytorch_lightning' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
