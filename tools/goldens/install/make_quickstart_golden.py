#!/usr/bin/env python3
"""What examples/quickstart/main.cpp must print, computed by PyTorch.

The example tokenizes "Hello my name is Ajay" with GPT-2 (tiktoken ids below), looks the ids
up in nn.Embedding(50257, 4) after torch.manual_seed(0), adds the sinusoidal table of the
PyTorch transformer tutorial, prints it and its size; then rotates a [1, 3, 2, 8] tensor of
ones with RoPE (theta 10000, Hugging Face's q*cos + rotate_half(q)*sin, positions 10..12).

  /usr/bin/python3 tools/goldens/install/make_quickstart_golden.py > tests/goldens/install/quickstart.txt
(Debian 12 python3-torch 1.13.)
"""
import math

import torch

ids = torch.tensor([[15496, 616, 1438, 318, 22028, 323]])  # tiktoken gpt2, "Hello my name is Ajay"
torch.manual_seed(0)
x = torch.nn.Embedding(50257, 4)(ids).detach()
position = torch.arange(6).unsqueeze(1)
div_term = torch.exp(torch.arange(0, 4, 2) * (-math.log(10000.0) / 4))
pe = torch.zeros(6, 4)
pe[:, 0::2] = torch.sin(position * div_term)
pe[:, 1::2] = torch.cos(position * div_term)
x = x + pe
print(x)
print(x.shape)

inv_freq = 1.0 / (10000 ** (torch.arange(0, 8, 2).float() / 8))
freqs = torch.outer(torch.arange(10, 13).float(), inv_freq)
emb = torch.cat((freqs, freqs), dim=-1)
cos, sin = emb.cos()[None, :, None, :], emb.sin()[None, :, None, :]
q = torch.ones(1, 3, 2, 8)
rotate_half = lambda t: torch.cat((-t[..., 4:], t[..., :4]), dim=-1)
print(q * cos + rotate_half(q) * sin)
