#!/usr/bin/env python3
"""Writes the fuzzers' seed corpora, fuzz/corpus/<target>/ (docs/fuzzing.md).

Valid inputs are copied from tests/goldens/ and data/encodings/ where those hold one; the
others are small files built here with the standard library alone (no numpy, no torch), in
the formats posemb's writers produce: safetensors, token caches, checkpoints. Edge cases sit
beside them. Files the fuzzers found crashing are added by hand (named crash-*) and are not
touched here.

    python3 tools/fuzz/make_corpus.py        # from the repository root; rewrites the seeds
"""
import base64
import json
import os
import shutil
import struct
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "fuzz" / "corpus"


def write(target, name, data):
    folder = CORPUS / target
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def copy(target, source, name=None):
    write(target, name or source.name, source.read_bytes())


def safetensors(tensors, metadata=None):
    """tensors: [(name, dtype, shape, raw bytes)] -> a file laid out in the given order."""
    header, offset = {}, 0
    if metadata:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + b"".join(t[3] for t in tensors)


def f32(values):
    return struct.pack(f"<{len(values)}f", *values)


# --- safetensors: the golden files, and edge cases --------------------------------------
def make_safetensors():
    for path in sorted((ROOT / "tests/goldens/io/safetensors").glob("*.safetensors")):
        copy("safetensors", path)
    write("safetensors", "empty_header.safetensors", safetensors([]))
    write("safetensors", "metadata_only.safetensors", safetensors([], {"format": "pt"}))
    write("safetensors", "zero_size.safetensors",
          safetensors([("empty", "F32", [0, 3], b""), ("one", "BF16", [1], b"\x80\x3f")]))


# --- npy: the golden files ---------------------------------------------------------------
def make_npy():
    for name in ["f4.npy", "f4_fortran.npy", "i8_fortran.npy", "f4_scalar.npy", "f4_empty.npy",
                 "f2_big_endian.npy", "i8_big_endian.npy", "b1.npy", "u8_above_int64.npy", "f4_v2.npy",
                 "f4_v3.npy", "unsupported_structured.npy", "unsupported_c8.npy"]:
        copy("npy", ROOT / "tests/goldens/io/npy" / name)
    # 2^64 + 4 as a size: it once wrapped to 4 (tests/io/npy_test.cpp).
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (18446744073709551620,), }"
    header += " " * (-(10 + len(header) + 1) % 64) + "\n"
    write("npy", "wrapped-shape.npy", b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode()
          + bytes(16))


# --- hf_config: the golden configs, and the other rope types and key spellings -----------
def make_hf_config():
    for path in sorted((ROOT / "tests/goldens/positional/cli_rope_apply").glob("*.config.json")):
        copy("hf_config", path)
    configs = {
        "longrope.config.json": {
            "model_type": "phi3", "hidden_size": 32, "num_attention_heads": 2, "max_position_embeddings": 512,
            "original_max_position_embeddings": 64,
            "rope_scaling": {"type": "longrope", "short_factor": [1.0] * 8, "long_factor": [1.5, 2.0] * 4}},
        "dynamic.config.json": {
            "hidden_size": 64, "num_attention_heads": 4, "max_position_embeddings": 128,
            "rope_scaling": {"rope_type": "dynamic", "factor": 2.0}},
        "yarn_deepseek.config.json": {
            "head_dim": 16, "max_position_embeddings": 4096, "rope_theta": 10000,
            "rope_scaling": {"rope_type": "yarn", "factor": 40, "beta_fast": 32, "beta_slow": 1, "mscale": 1.0,
                             "mscale_all_dim": 1.0, "original_max_position_embeddings": 128, "truncate": False}},
        "rope_parameters_5x.config.json": {
            "hidden_size": 64, "num_attention_heads": 4, "max_position_embeddings": 256,
            "rope_parameters": {"rope_type": "default", "rope_theta": 1000000.0, "partial_rotary_factor": 0.5}},
        "neox.config.json": {
            "model_type": "gpt_neox", "hidden_size": 64, "num_attention_heads": 4, "rotary_pct": 0.25,
            "rotary_emb_base": 10000, "max_position_embeddings": 2048},
    }
    for name, config in configs.items():
        write("hf_config", name, json.dumps(config, indent=2) + "\n")
    write("hf_config", "not_an_object.json", "[64]\n")


# --- checkpoint: checkpoint.json, a NUL byte, the weights --------------------------------
def gpt_tensors(c):
    """Names and shapes of the tiny GPT's parameters (include/posemb/model/gpt.hpp)."""
    v, ch, d = c["vocab_size"], c["channels"], c["channels"] // c["heads"]
    shapes = [("wte.weight", [v, ch])]
    if c["scheme"] == "learned":
        shapes.append(("wpe.weight", [c["context_length"], ch]))
    for layer in range(c["layers"]):
        p = f"blocks.{layer}."
        shapes += [(p + "ln1.weight", [ch]), (p + "ln1.bias", [ch]), (p + "attn.qkv.weight", [3 * ch, ch]),
                   (p + "attn.qkv.bias", [3 * ch]), (p + "attn.proj.weight", [ch, ch]), (p + "attn.proj.bias", [ch])]
        if c["scheme"] == "shaw":
            rows = 2 * c["shaw_max_relative_position"] + 1
            shapes += [(p + "attn.rel_keys", [rows, d]), (p + "attn.rel_values", [rows, d])]
        shapes += [(p + "ln2.weight", [ch]), (p + "ln2.bias", [ch]), (p + "mlp.fc.weight", [4 * ch, ch]),
                   (p + "mlp.fc.bias", [4 * ch]), (p + "mlp.proj.weight", [ch, 4 * ch]), (p + "mlp.proj.bias", [ch])]
    if c["scheme"] == "t5":
        shapes.append(("t5_bias.weight", [c["t5_num_buckets"], c["heads"]]))
    shapes += [("ln_f.weight", [ch]), ("ln_f.bias", [ch])]
    return shapes


def make_checkpoint():
    training = {"batch": 2, "steps": 10, "seed": 1, "max_lr": 0.001, "min_lr": 0.0001, "warmup_steps": 2,
                "clip_norm": 1.0, "beta1": 0.9, "beta2": 0.95, "eps": 1e-8, "weight_decay": 0.1}
    for scheme in ["learned", "t5", "shaw", "rope"]:
        config = {"vocab_size": 7, "context_length": 4, "layers": 1, "heads": 2, "channels": 4, "scheme": scheme,
                  "rope_theta": 10000.0, "sinusoidal_base": 10000.0, "t5_num_buckets": 4, "t5_max_distance": 8,
                  "shaw_max_relative_position": 2}
        step = 3
        weights_name = f"checkpoint-{step:08}.safetensors"
        manifest = {"step": step, "weights": weights_name, "model": config, "training": training,
                    "run": {"corpus": "brown", "tokenizer": "bytes"}}
        tensors = []
        for name, shape in gpt_tensors(config):
            n = 1
            for s in shape:
                n *= s
            tensors.append(("model." + name, "F32", shape, f32([(i % 5) * 0.25 - 0.5 for i in range(n)])))
        weights = safetensors(tensors, {"step": str(step), "format": "posemb tiny GPT checkpoint"})
        write("checkpoint", f"{scheme}.bin", json.dumps(manifest, indent=2).encode() + b"\n\0" + weights)
        if scheme == "learned":
            write("checkpoint", "manifest_only.json", json.dumps(manifest, indent=2) + "\n")


# --- rank_file: byte-level vocabularies --------------------------------------------------
def rank_lines(tokens):
    return "".join(f"{base64.b64encode(t).decode()} {r}\n" for r, t in enumerate(tokens))


def make_rank_file():
    single = [bytes([b]) for b in range(256)]
    write("rank_file", "bytes_only.tiktoken", rank_lines(single))
    merges = [b"He", b"ll", b"llo", b"Hello", b" w", b"or", b"ld", b" wor", b" world", b"aa", b"aaaa", b"Th", b"The",
              b" t", b"he", b" the", b"\xc3\xa9", b"h\xc3\xa9"]
    write("rank_file", "with_merges.tiktoken", rank_lines(single + merges))
    # The first lines of the r50k_base rank file (the 256 bytes and the first merges), CRLF.
    lines = (ROOT / "data/encodings/r50k_base.tiktoken").read_text().splitlines()[:300]
    write("rank_file", "r50k_head_crlf.tiktoken", "\r\n".join(lines) + "\r\n")
    write("rank_file", "missing_byte.tiktoken", rank_lines(single[:200]))


# --- token_lines: decode's id lists, tokenize --jsonl and decode --jsonl lines -----------
def make_token_lines():
    write("token_lines", "ids.txt", "15496 995\n")
    write("token_lines", "ids_json.txt", "[15496,995, 0,4294967295]")
    write("token_lines", "texts.jsonl", '"Hello world"\n"na\\u00efve caf\\u00e9"\n""\n')
    write("token_lines", "id_lists.jsonl", "[15496, 995]\r\n[]\n[-0, 4294967295]\n")
    write("token_lines", "not_ids.jsonl", '[1]\n[1.5, true, -1, 4294967296, "1"]\n')
    write("token_lines", "blank_line.jsonl", '"a"\n \t\r\n"b"')
    write("token_lines", "nul_after_json.jsonl", b'"a"\n"b"\x00garbage\n')


# --- training_text: byte 0 picks the mode (fuzz/training_text_fuzz.cpp) ------------------
def fnv1a64(data):
    h = 0xCBF29CE484222325
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def token_cache(text, tokens, tokenizer="bytes", vocab=256):
    header = json.dumps({"tokenizer": tokenizer, "vocab_size": vocab, "token_count": len(tokens),
                         "source_size": len(text), "source_fnv1a64": f"{fnv1a64(text):016x}"},
                        separators=(",", ":")).encode()
    header += b" " * (-(16 + len(header)) % 8)
    return b"PSMBTOK1" + struct.pack("<Q", len(header)) + header + struct.pack(f"<{len(tokens)}I", *tokens)


def make_training_text():
    text = "héllo\n".encode()
    cache = token_cache(text, list(text))
    write("training_text", "cache.bin", b"\x00" + cache)
    write("training_text", "empty_cache.bin", b"\x00" + token_cache(b"", []))
    write("training_text", "foreign_cache.bin", b"\x01" + cache)
    write("training_text", "text_bytes.bin", b"\x02" + "The quick brown fox.\nNaïve café.\n".encode())
    write("training_text", "text_gpt2.bin", b"\x03" + "Hello world <|endoftext|> héllo\n".encode())
    write("training_text", "text_invalid_utf8.bin", b"\x03ab\xffc\n")


# --- tokenizer: byte 0 picks the encoding (fuzz/tokenizer_fuzz.cpp) ----------------------
def make_tokenizer():
    write("tokenizer", "gpt2.bin", b"\x00" + "Hello world! It's 9:45pm, naïve café <|endoftext|>".encode())
    write("tokenizer", "cl100k.bin", b"\x01" + "  indented\n\n\tcode() {\r\n  return 42;\n}".encode())
    write("tokenizer", "o200k.bin", b"\x02" + "Ünïcödé ΑΒΓ 日本語 😀 'S 'll".encode())
    write("tokenizer", "invalid_utf8.bin", b"\x00ab\xff\xfec")


if __name__ == "__main__":
    for target in ["safetensors", "npy", "hf_config", "checkpoint", "rank_file", "token_lines", "training_text",
                   "tokenizer"]:
        folder = CORPUS / target
        if folder.exists():
            for path in folder.iterdir():
                if not path.name.startswith("crash-"):
                    path.unlink()
        globals()["make_" + target]()
    total = sum(p.stat().st_size for p in CORPUS.rglob("*") if p.is_file())
    print(f"{CORPUS.relative_to(ROOT)}: {sum(1 for p in CORPUS.rglob('*') if p.is_file())} files, {total} bytes")
