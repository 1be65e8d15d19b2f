// Prints the benchmark table: MB/s of each peer and of posemb on the same texts, measured in
// one run, and posemb's speed as a multiple of each peer's.
//   node report.mjs <peers.jsonl> <posemb google-benchmark json>
import fs from "node:fs";

const [peersFile, oursFile] = process.argv.slice(2);
const peers = fs.readFileSync(peersFile, "utf8").trim().split("\n").map((l) => JSON.parse(l));
const ours = JSON.parse(fs.readFileSync(oursFile, "utf8")).benchmarks;
const ourSeconds = (name) => {
  // Google Benchmark appends options to names: "encode_ordinary/gpt2/brown/min_time:1.000/real_time".
  const b = ours.find((x) => x.name === name || x.name.startsWith(name + "/"));
  if (!b) return null;
  const unit = { ns: 1e-9, us: 1e-6, ms: 1e-3, s: 1 }[b.time_unit];
  return b.real_time * unit;
};
const rows = [
  ["brown", "encode_ordinary/gpt2/brown"],
  ["mixed", "encode_ordinary/gpt2/mixed"],
  ["100KB-a", "long_run/gpt2/100KB-a"],
];
console.log("| tokenizer (gpt2, 1 thread) | " + rows.map(([t]) => (t === "100KB-a" ? "100 KB of `a`" : `${t} MB/s`)).join(" | ") + " |");
console.log("|---|" + rows.map(() => "---").join("|") + "|");
const cell = (text, seconds, bytes) => (text === "100KB-a" ? `${seconds.toFixed(3)} s` : (bytes / seconds / 1e6).toFixed(1));
const ourRow = rows.map(([text, name]) => {
  const s = ourSeconds(name);
  const p = peers.find((x) => x.text === text);
  if (s === null) return "-";
  if (text === "100KB-a") return `${s.toFixed(3)} s`;
  return p ? cell(text, s, p.bytes) : "-";
});
console.log(`| posemb | ${ourRow.join(" | ")} |`);
for (const peer of [...new Set(peers.map((p) => p.peer))]) {
  const cells = rows.map(([text, name]) => {
    const p = peers.find((x) => x.peer === peer && x.text === text);
    const s = ourSeconds(name);
    if (!p) return "-";
    const ratio = s === null ? "" : ` (posemb ×${(p.seconds / s).toFixed(1)})`;
    const mark = p.identical_to_tiktoken ? "" : " [ids differ!]";
    return cell(text, p.seconds, p.bytes) + ratio + mark;
  });
  console.log(`| ${peer} | ${cells.join(" | ")} |`);
}

// Long runs: one piece of 1 MB, in every encoding (tiktoken's merge loop is quadratic in it).
console.log("\n| 1 MB of one character (posemb, seconds) | `a` | space | `7` |\n|---|---|---|---|");
for (const encoding of ["gpt2", "p50k_base", "cl100k_base", "o200k_base"]) {
  const cells = ["1MB-a", "1MB-space", "1MB-7"].map((r) => {
    const s = ourSeconds(`long_run/${encoding}/${r}`);
    return s === null ? "-" : s.toFixed(3);
  });
  console.log(`| ${encoding} | ${cells.join(" | ")} |`);
}

// Batch encoding: paragraphs of each text on 1 and 2 threads (wall-clock).
console.log("\n| batch (gpt2, paragraphs) | 1 thread MB/s | 2 threads MB/s | speed-up |\n|---|---|---|---|");
for (const text of ["brown", "mixed"]) {
  const p = peers.find((x) => x.text === text);
  const one = ourSeconds(`encode_ordinary_batch/gpt2/${text}/threads:1`);
  const two = ourSeconds(`encode_ordinary_batch/gpt2/${text}/threads:2`);
  if (!p || one === null || two === null) continue;
  console.log(`| ${text} | ${(p.bytes / one / 1e6).toFixed(1)} | ${(p.bytes / two / 1e6).toFixed(1)} | ×${(one / two).toFixed(2)} |`);
}
