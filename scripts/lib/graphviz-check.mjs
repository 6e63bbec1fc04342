// Lays out a DOT file with Graphviz (compiled to WebAssembly, npm @hpcc-js/wasm-graphviz)
// and fails on any syntax error: `node graphviz-check.mjs FILE.dot`.
// tests/it/graph.rs runs it through scripts/test.sh, which installs the package.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(process.env.NHI_GRAPHVIZ_DIR + "/");
const { Graphviz } = await import(require.resolve("@hpcc-js/wasm-graphviz"));
const graphviz = await Graphviz.load();
const dot = readFileSync(process.argv[2], "utf8");
try {
  const svg = graphviz.layout(dot, "svg", "dot");
  const nodes = (svg.match(/class="node"/g) || []).length;
  const edges = (svg.match(/class="edge"/g) || []).length;
  console.log(JSON.stringify({ nodes, edges }));
} catch (e) {
  console.error(String(e));
  process.exit(1);
}
