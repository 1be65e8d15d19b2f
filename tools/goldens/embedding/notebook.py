#!/usr/bin/python3
"""The PyTorch notebook `posemb embed` reproduces, run in torch, for tests/cli/embed_notebook_test.cpp.

The notebook: tokenize a text with tiktoken's gpt2 encoding, keep the first
max_context_length tokens as a [1, n] batch, look them up in nn.Embedding(50257, dim), add a
learned absolute position embedding nn.Embedding(max_context_length, dim) applied to
arange(n), and print every step with its shape. The original notebook's seed is not known;
`posemb embed` defaults to 123 (Raschka's book), and each case here names its seed.

For each case this writes tests/goldens/embedding/notebook_<name>.txt (what the notebook
prints) and lists the cases, with the `posemb embed` arguments that must print the same, in
tests/goldens/embedding/notebook_cases.json.

    tools/goldens/embedding/make_goldens.sh      (installs npm tiktoken, then runs this)
or, with the package already installed:
    /usr/bin/python3 tools/goldens/embedding/notebook.py <node_modules folder>
"""
import json
import pathlib
import subprocess
import sys

import torch

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE.parents[2] / "tests/goldens/embedding"
VOCAB_SIZE = 50257  # tiktoken's gpt2 n_vocab

CASES = [
    # name, text, seed, dim, max_context_length
    ("default", "Hello my name is Ajay", 123, 2, 5),
    ("seed_0", "Hello my name is Ajay", 0, 2, 5),
    ("all_tokens_fit", "Hello my name is Ajay", 123, 2, 6),
    ("text_shorter_than_context", "Hi there", 7, 3, 5),
    ("wide_rows", "Positional encodings tell a transformer where each token is.", 42, 9, 8),
    ("one_token", "Hello", 1, 4, 1),
]


def gpt2_ids(texts, modules_dir):
    result = subprocess.run(["node", str(HERE / "gpt2_ids.mjs"), modules_dir], input=json.dumps(texts),
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def notebook(text, ids, seed, dim, max_context_length):
    """The notebook's cells; returns what they print."""
    lines = []

    def show(*values):
        lines.append(" ".join(str(v) for v in values))

    torch.manual_seed(seed)
    token_embedding_layer = torch.nn.Embedding(VOCAB_SIZE, dim)
    pos_embedding_layer = torch.nn.Embedding(max_context_length, dim)

    show("text:", text)
    show("token ids:", ids)
    inputs = torch.tensor([ids[:max_context_length]])
    n = inputs.shape[1]
    if n < len(ids):
        show(f"input ids (the first {n} of {len(ids)} tokens, as a batch of 1):")
    elif n < max_context_length:
        show(f"input ids (all {n} tokens, fewer than the context of {max_context_length}, as a batch of 1):")
    else:
        show(f"input ids (all {n} tokens, as a batch of 1):")
    show(inputs)
    show(inputs.shape)

    token_embeddings = token_embedding_layer(inputs)
    show("token embeddings:")
    show(token_embeddings)
    show(token_embeddings.shape)

    pos_embeddings = pos_embedding_layer(torch.arange(n))
    show(f"position embeddings (learned, positions 0 to {n - 1}):")
    show(pos_embeddings)
    show(pos_embeddings.shape)

    input_embeddings = token_embeddings + pos_embeddings
    show("input embeddings (token + position):")
    show(input_embeddings)
    show(input_embeddings.shape)
    return "\n".join(lines) + "\n"


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    all_ids = gpt2_ids([case[1] for case in CASES], sys.argv[1])
    manifest = []
    for (name, text, seed, dim, context), ids in zip(CASES, all_ids):
        (OUT / f"notebook_{name}.txt").write_text(notebook(text, ids, seed, dim, context))
        manifest.append({"name": name, "file": f"notebook_{name}.txt",
                         "args": [text, "--seed", str(seed), "--dim", str(dim), "--context", str(context)]})
    # With no arguments, `posemb embed` runs the notebook's example with seed 123.
    manifest.append({"name": "no_arguments", "file": "notebook_default.txt", "args": []})
    (OUT / "notebook_cases.json").write_text(json.dumps({
        "generator": "tools/goldens/embedding/notebook.py",
        "torch_version": torch.__version__,
        "cases": manifest}, indent=1) + "\n")
    print(f"wrote {len(CASES)} notebook outputs to {OUT}")


if __name__ == "__main__":
    main()
