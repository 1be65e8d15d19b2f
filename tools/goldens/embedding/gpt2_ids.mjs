// Token ids of texts with tiktoken's gpt2 encoding (npm `tiktoken`, OpenAI's Rust core
// compiled to WASM): reads a JSON array of strings on stdin, prints a JSON array of id arrays.
//   echo '["Hello my name is Ajay"]' | node gpt2_ids.mjs <node_modules folder>
// (make_goldens.sh installs the package and calls this from notebook.py.)
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import path from "node:path";

const [modulesDir] = process.argv.slice(2);
if (!modulesDir) {
  console.error("usage: node gpt2_ids.mjs <node_modules folder> < texts.json");
  process.exit(2);
}
const require = createRequire(path.join(path.resolve(modulesDir), "noop.js"));
const { get_encoding } = require("tiktoken");

const texts = JSON.parse(readFileSync(0, "utf8"));
const encoding = get_encoding("gpt2");
const ids = texts.map((text) => Array.from(encoding.encode(text)));
encoding.free();
process.stdout.write(JSON.stringify(ids) + "\n");
