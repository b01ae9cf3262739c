// Copies the third-party front-end files the pages use from node_modules into the app's
// static folder, so every asset is served by Qingfeng itself (government intranets are offline).
import { copyFileSync, mkdirSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "src", "qingfeng", "static", "vendor");
// The source maps go along: the minified files name them, and the production static storage
// (hashed names) refuses to collect a file whose references are missing.
const files = {
  "@tabler/core/dist/css/tabler.min.css": "tabler/tabler.min.css",
  "@tabler/core/dist/css/tabler.min.css.map": "tabler/tabler.min.css.map",
  "@tabler/core/dist/js/tabler.min.js": "tabler/tabler.min.js",
  "@tabler/core/dist/js/tabler.min.js.map": "tabler/tabler.min.js.map",
  "@alpinejs/csp/dist/cdn.min.js": "alpine/alpine-csp.min.js",
  "echarts/dist/echarts.min.js": "echarts/echarts.min.js",
};
for (const [from, to] of Object.entries(files)) {
  const source = join(root, "node_modules", from);
  if (!existsSync(source)) {
    console.error(`missing ${from}: run "npm ci" first`);
    process.exit(1);
  }
  mkdirSync(dirname(join(out, to)), { recursive: true });
  copyFileSync(source, join(out, to));
}
console.log(`vendored ${Object.keys(files).length} files into src/qingfeng/static/vendor`);
