// Generates tests/goldens/tokenizer/<encoding>.json: the token ids that OpenAI's tokenizer
// (npm `tiktoken`, the official Rust core compiled to WebAssembly) produces for a broad,
// adversarial set of strings, for r50k_base (= gpt2), p50k_base, cl100k_base, o200k_base.
//
//   node make_goldens.mjs <node_modules folder with tiktoken> <output folder>
//
// Each case records three calls on the same text:
//   ordinary      encode_ordinary(text)                 special tokens are plain text
//   encode        encode(text) (disallowed = all)       null when tiktoken refuses the text
//   all_special   encode(text, "all")                   special tokens become their ids
// "special_policy" cases record encode(text, allowed, disallowed) for chosen sets, and
// "decode" cases the bytes and the replacement-decoded text of token sequences.
import { createRequire } from "node:module";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const [modulesDir, outDir] = process.argv.slice(2);
if (!modulesDir || !outDir) {
  console.error("usage: node make_goldens.mjs <node_modules folder> <output folder>");
  process.exit(2);
}
const require = createRequire(path.join(path.resolve(modulesDir), "noop.js"));
const { get_encoding } = require("tiktoken");
const tiktokenVersion = JSON.parse(
  readFileSync(path.join(path.resolve(modulesDir), "tiktoken", "package.json"), "utf8")).version;

const cases = [];
const add = (group, text) => cases.push({ name: `${group}/${cases.length}`, text });
const cp = (...points) => String.fromCodePoint(...points);

// --- Whitespace: every White_Space code point, runs of it, around letters and digits, and
// the look-alikes that JavaScript regexes or PCRE2 get wrong (U+0085, U+FEFF, U+180E).
const whiteSpace = [0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002,
  0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000];
const notWhiteSpace = [0x180e, 0xfeff, 0x200b, 0x200c, 0x200d, 0x2060, 0x1c, 0x1d, 0x1e, 0x1f, 0x00];
for (const w of [...whiteSpace, ...notWhiteSpace]) {
  const c = cp(w);
  for (const t of [c, c + c, c + c + c, `a${c}b`, `a${c}${c}b`, `a${c}${c}${c}b`, `${c}a`, `${c}${c}a`,
    `a${c}`, `a${c}${c}`, `1${c}2`, `!${c}!`, `${c}1`, `${c}!`, `${c}\n`, `\n${c}`, `${c} a`, ` ${c}a`, `'${c}s`])
    add("whitespace", t);
}
for (const t of [" ", "  ", "   a", "a   ", "a   b", "\t\ta", "\t a", " \ta", "\r\n", "\r\n\r\n", "\n\n\n",
  " \n", " \n ", "\n \n", " \r\n a", "a\n\n b", "a \n\n  b", "\r", "\r\r\n\n", "x\r\ny", "  \n  \n  x",
  "end with spaces   ", "tabs\t\t\tand\tspaces  \t mixed", "\u00a0\u00a0a", " \u00a0a", "\u3000日本",
  "!\n\n", "!\r\n", "! \n", "a/\n", "a/\r\nb", "//\n//", ") \n", "x \n\n\n", "\n\n\nx", " \n\t\n x"])
  add("whitespace", t);

// --- Contractions in every case, with the long s (U+017F folds to s), the right single
// quotation mark (not a contraction), and contractions glued to letters or punctuation.
const contractions = ["s", "t", "re", "ve", "m", "ll", "d"];
const caseForms = (s) => {
  const forms = new Set([s, s.toUpperCase()]);
  if (s.length === 2) { forms.add(s[0].toUpperCase() + s[1]); forms.add(s[0] + s[1].toUpperCase()); }
  return [...forms];
};
for (const c of contractions) {
  for (const f of caseForms(c)) {
    for (const t of [`'${f}`, `it'${f}`, `IT'${f}`, `'${f}x`, `'${f} `, ` '${f}`, `''${f}`, `!'${f}`, `1'${f}`,
      `'${f}'${f}`, `x'${f}y`, `\u2019${f}`, `Don'${f}`, `don'${f}a`, `HELLO'${f}`, `Hello'${f}`])
      add("contractions", t);
  }
}
for (const t of ["'\u017f", "it'\u017f", "'\u017fx", "IT'\u017f", "'\u212a", "'\u0130", "don't", "DON'T",
  "I'm", "I'M", "we'll", "WE'LL", "you've", "YOU'VE", "they're", "THEY'RE", "he'd", "HE'D", "'", "''", "'''",
  "rock 'n' roll", "'tis", "o'clock", "O'Neil", "l'homme", "ʼs", "`s", "y'all'd've"])
  add("contractions", t);

// --- Numbers of every length, separators, other numeric classes (Nl, No, non-ASCII Nd).
let digits = "";
for (let n = 1; n <= 24; n++) {
  digits += String((n * 7) % 10);
  for (const t of [digits, ` ${digits}`, `a${digits}`, `${digits}a`, `-${digits}`, `${digits}.${digits}`]) add("numbers", t);
}
for (const t of ["1,234,567.89", "3.14159265358979", "1e-10", "0x7fffffff", "1_000_000", "(555) 123-4567",
  "2024-01-31T12:34:56Z", "v1.2.3", "٠١٢٣٤٥٦٧٨٩", "۱۲۳۴", "१२३४५", "๑๒๓", "１２３４５", "²³¹", "½¾", "ⅠⅡⅢⅫ", "①②③",
  "𝟘𝟙𝟚𝟛", "12²", "x²+y²", "三千", "1st 2nd 3rd 4th", "$100", "€1.000,00", "١٢٣abc", "9" + "٩".repeat(5)])
  add("numbers", t);

// --- Scripts: Latin with diacritics, CJK, Japanese, Korean, Arabic, Hebrew, Devanagari,
// Bengali, Tamil, Thai, Cyrillic, Greek, Georgian, Armenian, Ethiopic, Mongolian.
for (const t of ["naïve café résumé", "Ærøskøbing", "Straße STRASSE", "İstanbul ıi", "ǅemal ǈubljana ǋ",
  "中文测试，这是一个句子。", "日本語のテキスト、カタカナとひらがな。", "漢字かなカナabc123", "한국어 텍스트입니다.",
  "مرحبا بالعالم! هذا نص عربي.", "السَّلَامُ عَلَيْكُمْ", "שלום עולם", "नमस्ते दुनिया। यह हिन्दी है।", "क्षत्रिय",
  "বাংলা ভাষা", "தமிழ் மொழி", "สวัสดีครับ ภาษาไทยไม่มีช่องว่าง", "Привет, мир! ПРИВЕТ", "Γειά σου Κόσμε ΣΊΣΥΦΟΣ",
  "ქართული ენა", "Հայերեն", "ሰላም ለዓለም", "ᠮᠣᠩᠭᠣᠯ", "Tiếng Việt có dấu", "ʰʲʷ ˈfəʊnətɪks", "ꓐꓑꓒ", "𐐀𐐨 𐐷",
  "𝐇𝐞𝐥𝐥𝐨 𝕎𝕠𝕣𝕝𝕕", "Ｆｕｌｌｗｉｄｔｈ", "ﬁﬂ ﬃ", "Ǆ ǅ ǆ"])
  add("scripts", t);

// --- Emoji: ZWJ sequences, skin tones, flags, keycaps, variation selectors.
for (const t of ["😀", "😀😃😄", "👍🏽", "👋🏻👋🏼👋🏽👋🏾👋🏿", "👨‍👩‍👧‍👦", "👩🏽‍💻", "🏳️‍🌈", "🇺🇸🇯🇵🇩🇪", "1️⃣2️⃣#️⃣",
  "❤️", "☺︎", "I ❤️ NY", "hello👋world", "🧑‍🤝‍🧑", "🫠🫡🫶", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "a😀b", " 😀", "😀 ", "😀's", "😀123"])
  add("emoji", t);

// --- Combining marks before, after and between letters of either case (o200k's classes
// include \p{M} on both sides).
for (const t of ["e\u0301", "E\u0301", "\u0301", "\u0301\u0301", "\u0301a", "\u0301A", "\u0301AB", "\u0301AB ",
  "A\u0301B", "a\u0301B", "AB\u0301", "AB\u0301c", "ABc\u0301", "x \u0301", " \u0301A", "!\u0301A", "\u20dd",
  "a\u20dd", "\u0915\u094d\u0937", "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319a\u0324\u031e\u0349l\u0353g\u0325o",
  "\u0301'S", "A'\u0301", "ʰA", "Aʰ", "ʰa", "ǅA", "Aǅ", "aǅ", "ǅa", "中A", "A中", "a中B"])
  add("marks", t);

// --- o200k's case rules: runs of capitals, camelCase, contractions after either case.
for (const t of ["HelloWorld", "helloWorld", "HELLOworld", "helloWORLD", "CamelCaseString", "XMLHttpRequest",
  "getHTTPResponseCode", "iPhone", "ABC", "ABCdef", "abcDEF", "A", "a", "Aa", "aA", "AAa", "aAA", "Don'tStop",
  "HELLO'S world", "Hello's", "hello'S", "HELLO's", "ÉCOLE", "Écolé", "ΣΊΣΥΦΟΣ σίσυφος", "McDonald's", "O'REILLY",
  "snake_case_name", "SCREAMING_SNAKE", "kebab-case-name", "x.y.Z", "$Var", "@Annotation", "#Hash",
  // o200k has tokens that join Lo letters and capitals ("亚洲AV"): they show where the first
  // alternative's star gives characters back (after the last Lo) and where it does not.
  "亚洲AV", "亚洲AV ", "亚洲AVs", " 亚洲AV", "无码AV!", " 天天中彩票APP", " 天天中彩票APP x", "亚洲AV's", "x亚洲AV"])
  add("case", t);

// --- Code, URLs, markup.
for (const t of [
  "#include <vector>\nint main() {\n  std::vector<int> v{1, 2, 3};\n  return v.size() > 2 ? 0 : 1;\n}\n",
  "def f(x):\n    return x ** 2  # square\n\n\nclass A:\n\tpass\n",
  "for (size_t i = 0; i < n; ++i) { sum += a[i] * b[i]; }",
  "const re = /^\\s+|\\s+$/g; // trim",
  "{\"key\": [1, 2.5, null, true], \"nested\": {\"a\": \"b\"}}",
  "https://example.com/path/to/page?query=1&x=y#fragment",
  "mailto:someone@example.org", "/usr/local/bin/python3 -m pip install --upgrade pip",
  "C:\\Windows\\System32\\drivers\\etc\\hosts", "<div class=\"x\">Hello&nbsp;<b>world</b></div>",
  "SELECT * FROM users WHERE id = 42;", "$ ls -la | grep '^d' | wc -l", "a->b; c::d; e=>f; g!=h; i<=j;",
  "    indented\n        more\n    back", "\t\tif (x) {\n\t\t\treturn;\n\t\t}", "x = [ ]  ;  y = ( )", "....!!!???",
  "-----", "=====", "***bold***", "__init__", "``` code ```", "===\n---\n***"])
  add("code", t);

// --- Special-token text and near misses.
for (const t of ["<|endoftext|>", "hello <|endoftext|> world", "<|endoftext|><|endoftext|>", "a<|endoftext|>b",
  " <|endoftext|>", "<|endoftext|> ", "\n<|endoftext|>\n", "<|endoftext", "endoftext|>", "<|endoftext|", "<|ENDOFTEXT|>",
  "<| endoftext |>", "<<|endoftext|>>", "<|fim_prefix|>def f():<|fim_suffix|>\n<|fim_middle|>", "<|endofprompt|>",
  "Q: <|endofprompt|> A:", "x<|fim_prefix|>", "<|im_start|>user", "'s<|endoftext|>'s", "  <|endoftext|>  "])
  add("special", t);

// --- Unicode version probes: code points assigned in 15.1, 16.0 and 17.0, unassigned ones,
// private use, noncharacters, the last code point. The tables must match tiktoken's regex engine.
const versionProbes = [0x2ebf0, 0x2ee5d, 0x31ef, 0x2ffc, 0x105c0, 0x105f3, 0x10d4a, 0x10d40, 0x10d49, 0x10d4e,
  0x10d6e, 0x10d8f, 0x16d40, 0x16d70, 0x1e5d0, 0x1e5f1, 0x11bc0, 0x11bf0, 0x16100, 0x16130, 0x113b7, 0x11380,
  0x1ccf0, 0x1ccf9, 0x1cc00, 0x13460, 0xa7cb, 0xa7cc, 0xa7cd, 0xa7da, 0xa7db, 0xa7dc, 0xa7ce, 0xa7cf, 0xa7d2, 0xa7d4,
  0x1df25, 0x0378, 0x0379, 0x0e3b, 0xe000, 0xf8ff, 0xf0000, 0x10fffd, 0xfdd0, 0xfffe, 0xffff, 0x10ffff, 0x1fffe,
  0x0897, 0x1c89, 0x1c8a, 0x2c2f, 0x0c5c, 0x0cdc, 0x1b4e, 0x1b7f, 0x10ec2, 0x16ff2, 0x1e4e0];
for (const p of versionProbes) {
  const c = cp(p);
  for (const t of [c, `${c}'s`, `a${c}`, `${c}a`, `${c}1`, `1${c}`, ` ${c}`, `${c}${c}A`, `A${c}`, `${c}123`]) add("unicode-version", t);
}

// --- Long runs of one character (tiktoken's merge loop is quadratic in piece length).
for (const [c, n] of [["a", 5000], [" ", 5000], ["\n", 2000], ["1", 3000], ["!", 3000], ["é", 2000], ["😀", 500],
  ["ab", 2000], ["中", 2000], ["\u0301", 1000], ["A", 3000], [" a", 1500], ["\t", 1000], ["'s", 1000]])
  add("long-run", c.repeat(n));
add("long-run", "a".repeat(3000) + " " + "b".repeat(3000));
add("long-run", " ".repeat(3000) + "x");

// --- Randomized strings from a palette of the characters that matter, fixed seed.
const palette = [..." \t\n\r\u00a0\u3000\u0085\ufeff\u180e\u2028", ..."'sStTdDmMlLvVeErR\u017f",
  ..."aAzZéÉǅʰ中あア한ا", "\u0301", "\u0915", "\u093f", ..."0123456789٣²Ⅻ", ..."!?.,;:-_/\\()[]{}<>|\"`~@#$%^&*+=",
  "😀", "👍🏽", "\u200d", "\ufe0f", cp(0x105c0), cp(0x10d40), cp(0xa7cb), cp(0xa7ce), cp(0x378), "<|endoftext|>"];
let seed = 20240607;
const random = () => { // mulberry32
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
for (let i = 0; i < 600; i++) {
  const length = 1 + Math.floor(random() * 24);
  let t = "";
  for (let j = 0; j < length; j++) t += palette[Math.floor(random() * palette.length)];
  add("random", t);
}

// --- Texts that look like what users tokenize.
add("prose", "The quick brown fox jumps over the lazy dog. It's 9:45pm and I've eaten 3.5 pizzas!");
add("prose", "Lorem ipsum dolor sit amet, consectetur adipiscing elit.\n\nSed do eiusmod tempor incididunt ut labore.");
add("prose", "Er sagte: „Das ist großartig!“ — und ging. « Très bien », répondit-elle… ¿Qué? ¡Sí!");

const policies = [
  { allowed: [], disallowed: [] },
  { allowed: ["<|endoftext|>"], disallowed: "all" },
  { allowed: ["<|endoftext|>"], disallowed: [] },
  { allowed: [], disallowed: ["<|endoftext|>"] },
  { allowed: ["<|fim_prefix|>"], disallowed: "all" },
  { allowed: ["<|fim_prefix|>", "<|fim_suffix|>"], disallowed: [] },
  { allowed: [], disallowed: ["<|endofprompt|>"] },
];

const encode = (enc, text, allowed, disallowed) => {
  try { return Array.from(enc.encode(text, allowed, disallowed)); } catch (e) { return null; }
};

for (const name of ["r50k_base", "p50k_base", "cl100k_base", "o200k_base"]) {
  const enc = get_encoding(name);
  const special = Object.keys(require(`tiktoken/encoders/${name}.json`).special_tokens);
  const out = cases.map(({ name: caseName, text }) => ({
    name: caseName, text,
    ordinary: Array.from(enc.encode_ordinary(text)),
    encode: encode(enc, text),
    all_special: Array.from(enc.encode(text, "all")),
  }));
  const policyCases = [];
  for (const { text } of cases.filter((c) => c.name.startsWith("special/"))) {
    for (const { allowed, disallowed } of policies) {
      const usable = (set) => (set === "all" ? set : set.filter((s) => special.includes(s)));
      const a = usable(allowed), d = usable(disallowed);
      policyCases.push({ text, allowed: a, disallowed: d, ids: encode(enc, text, a, d) });
    }
  }
  // Decoding: token sequences cut from the goldens (often mid-character), and single tokens
  // whose bytes are not valid UTF-8 on their own.
  const decodeCases = [];
  for (const c of out.filter((_, i) => i % 7 === 0)) {
    const ids = c.ordinary.slice(0, 1 + (c.ordinary.length >> 1));
    const bytes = Buffer.from(enc.decode(Uint32Array.from(ids)));
    decodeCases.push({ ids, bytes_hex: bytes.toString("hex"), text: new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes) });
  }
  for (let id = 0; id < 256; id++) {
    const bytes = Buffer.from(enc.decode_single_token_bytes(id));
    decodeCases.push({ ids: [id], bytes_hex: bytes.toString("hex"), text: new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes) });
  }
  const golden = {
    encoding: name,
    generator: "tools/goldens/tokenizer/make_goldens.mjs",
    reference: `npm tiktoken@${tiktokenVersion} (WebAssembly build of OpenAI's tiktoken core)`,
    text_decoder: "decode text: WHATWG TextDecoder('utf-8') of node " + process.version + " (U+FFFD per maximal subpart)",
    special_tokens: require(`tiktoken/encoders/${name}.json`).special_tokens,
    cases: out,
    special_policy: policyCases,
    decode: decodeCases,
  };
  writeFileSync(path.join(outDir, `${name}.json`), JSON.stringify(golden) + "\n");
  console.log(`${name}: ${out.length} cases, ${policyCases.length} policy cases, ${decodeCases.length} decode cases`);
  enc.free();
}
