// Converts the rank tables shipped in the npm package `tiktoken` (encoders/*.json, MIT)
// into standard `.tiktoken` rank files: one `base64(token bytes) rank` line per token,
// in rank order, as OpenAI publishes them.
//
// The package stores `bpe_ranks` compressed: lines separated by "\n", each line
//   <ignored> <first rank> <b64 token> <b64 token> ...
// with consecutive ranks along the line.
//
//   node export_rank_files.mjs <node_modules folder> <output folder>
// (tools/goldens/tokenizer/make_goldens.sh installs the package and runs this.)
import { createRequire } from "node:module";
import { writeFileSync } from "node:fs";
import path from "node:path";

const [modulesDir, outDir] = process.argv.slice(2);
if (!modulesDir || !outDir) {
  console.error("usage: node export_rank_files.mjs <node_modules folder> <output folder>");
  process.exit(2);
}
const require = createRequire(path.join(path.resolve(modulesDir), "noop.js"));

for (const name of ["r50k_base", "p50k_base", "cl100k_base", "o200k_base"]) {
  const encoder = require(`tiktoken/encoders/${name}.json`);
  const lines = [];
  const seenRanks = new Set();
  for (const row of encoder.bpe_ranks.split("\n")) {
    if (row === "") continue;
    const [, firstRank, ...tokens] = row.split(" ");
    let rank = Number.parseInt(firstRank, 10);
    if (!Number.isInteger(rank)) throw new Error(`${name}: bad first rank in row ${row.slice(0, 40)}`);
    for (const token of tokens) {
      if (seenRanks.has(rank)) throw new Error(`${name}: rank ${rank} appears twice`);
      seenRanks.add(rank);
      lines.push([rank, token]);
      rank += 1;
    }
  }
  lines.sort((a, b) => a[0] - b[0]);
  const text = lines.map(([rank, token]) => `${token} ${rank}\n`).join("");
  writeFileSync(path.join(outDir, `${name}.tiktoken`), text);
  console.log(`${name}: ${lines.length} ranks, special tokens ${JSON.stringify(encoder.special_tokens)}`);
}
