// Times the npm tokenizers on the benchmark texts, single-threaded, gpt2 encoding:
//   tiktoken                          (official WASM build of OpenAI's tiktoken)
//   tiktoken-rs-node-linux-x64-gnu    (native tiktoken-rs)
//   gpt-tokenizer                     (pure JavaScript)
// Checks that every peer's ids equal tiktoken's, and writes tiktoken's ids to
// <out>/<text>.gpt2.ids (little-endian uint32) for the posemb benchmark to check its own.
// Prints one JSON object per measurement.
//
//   node bench_peers.mjs <node_modules> <texts folder> <out folder> [--quick]
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";

const [modulesDir, textsDir, outDir, flag] = process.argv.slice(2);
const quick = flag === "--quick";
const require = createRequire(path.join(path.resolve(modulesDir), "noop.js"));
fs.mkdirSync(outDir, { recursive: true });

const tiktoken = require("tiktoken").get_encoding("gpt2");
const tiktokenRs = require("tiktoken-rs-node-linux-x64-gnu").getEncoding("gpt2");
const gptTokenizer = require("gpt-tokenizer/encoding/r50k_base");
const peers = [
  ["tiktoken", (t) => tiktoken.encode_ordinary(t)],
  ["tiktoken-rs-node", (t) => tiktokenRs.encode(t)],  // (it always makes <|endoftext|> special)
  ["gpt-tokenizer", (t) => gptTokenizer.encode(t)],
];

// [name, text, timed runs, warm-up text]. Each text is timed once, after a warm-up (JIT, WASM
// instantiation) on another text: gpt-tokenizer keeps a cache of pieces across calls, and a
// second run of the same text would time cache look-ups (100 KB of `a` in 1 ms). posemb's
// cache lives for one call, so every posemb iteration starts cold too.
const brown = fs.readFileSync(path.join(textsDir, "brown.txt"), "utf8");
const mixed = fs.readFileSync(path.join(textsDir, "mixed.txt"), "utf8");
const texts = [
  ["brown", brown, 1, mixed.slice(0, 200_000)],
  ["mixed", mixed, 1, brown.slice(0, 200_000)],
];
if (!quick) texts.push(["100KB-a", "a".repeat(100_000), 1, null]);

const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
for (const [textName, text, runs, warmUp] of texts) {
  const bytes = Buffer.byteLength(text);
  let reference = null;
  for (const [peer, encode] of peers) {
    if (warmUp !== null) encode(warmUp);
    let ids;
    let best = Infinity;
    for (let r = 0; r < runs; r++) {
      const start = process.hrtime.bigint();
      ids = encode(text);
      best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e9);
    }
    ids = Array.from(ids);
    if (reference === null) {
      reference = ids;
      fs.writeFileSync(path.join(outDir, `${textName}.gpt2.ids`), Buffer.from(Uint32Array.from(ids).buffer));
    }
    console.log(JSON.stringify({ peer, text: textName, bytes, seconds: best, mb_per_s: bytes / best / 1e6,
      tokens: ids.length, identical_to_tiktoken: same(ids, reference) }));
  }
}
