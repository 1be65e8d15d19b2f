// Prints the benchmark table: MB/s of each peer and of posemb on the same texts, measured in
// one run, and posemb's speed as a multiple of each peer's.
//   node report.mjs <peers.jsonl> <posemb google-benchmark json>
import fs from "node:fs";

const [peersFile, oursFile] = process.argv.slice(2);
const peers = fs.readFileSync(peersFile, "utf8").trim().split("\n").map((l) => JSON.parse(l));
const ours = JSON.parse(fs.readFileSync(oursFile, "utf8")).benchmarks;
const ourSeconds = (name) => {
  const b = ours.find((x) => x.name === name || x.run_name === name);
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
  return s === null || !p ? "-" : cell(text, s, p.bytes);
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
