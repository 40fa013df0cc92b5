"""Needle's fixed token ids (the tokenizer's trainer settings, NEEDLE.md).

A module of its own so that the data generator and the prompt code run
with Python's standard library alone; needle_torch.py imports them from here.
"""

PAD_ID, EOS_ID, BOS_ID, UNK_ID, TOOL_CALL_ID, TOOLS_ID = 0, 1, 2, 3, 4, 5
