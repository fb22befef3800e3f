// Drive @dodona/dolos-lib for the benchmarks (benchmark-only peer, never a project dependency).
//
//   DOLOS_DIR=scratch/peers/dolos node dolos_scan.mjs collection DIR LANGUAGE OUT.json [MIN_SIMILARITY]
//       every top-level file of DIR is one submission; writes {"files": n, "pairs": [[a, b, sim], ...]}
//       with pairs whose similarity is >= MIN_SIMILARITY (default 0: all pairs Dolos reports).
//   DOLOS_DIR=... node dolos_scan.mjs pairs IN.jsonl OUT.jsonl
//       IN lines: {"id", "language", "a", "b"} (a/b = code); each pair is analysed on its own
//       (a fresh Dolos instance, so no fingerprint statistics leak between pairs);
//       OUT lines: {"id", "similarity"}.
// Dolos is used with its defaults (k = 23, window = 17, no fingerprint-share cut), as `dolos run` does.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const dolosDir = resolve(process.env.DOLOS_DIR ?? "scratch/peers/dolos");
const lib = await import(pathToFileURL(join(dolosDir, "node_modules/@dodona/dolos-lib/dist/index.js")).href);
const { Dolos, File } = lib;

const EXT = { java: ".java", c: ".c", cpp: ".cpp", python: ".py", javascript: ".js", go: ".go" };

async function collection(dir, language, out, minSim) {
  const names = readdirSync(dir).sort();
  const files = names.map((n) => new File(n, readFileSync(join(dir, n), "utf8")));
  const dolos = new Dolos({ language });
  const report = await dolos.analyze(files);
  const pairs = [];
  for (const p of report.allPairs()) {
    if (p.similarity >= minSim) pairs.push([p.leftFile.path, p.rightFile.path, p.similarity]);
  }
  writeFileSync(out, JSON.stringify({ files: files.length, pairs }));
}

async function pairs(inPath, outPath) {
  const lines = readFileSync(inPath, "utf8").split("\n").filter((l) => l.trim());
  const rows = [];
  for (const line of lines) {
    const job = JSON.parse(line);
    const ext = EXT[job.language] ?? ".txt";
    const dolos = new Dolos({ language: job.language });
    const report = await dolos.analyze([new File("a" + ext, job.a), new File("b" + ext, job.b)]);
    const all = report.allPairs();
    rows.push(JSON.stringify({ id: job.id, similarity: all.length ? all[0].similarity : 0 }));
  }
  writeFileSync(outPath, rows.join("\n") + "\n");
}

const [mode, ...args] = process.argv.slice(2);
if (mode === "collection") {
  await collection(args[0], args[1], args[2], Number(args[3] ?? 0));
} else if (mode === "pairs") {
  await pairs(args[0], args[1]);
} else {
  console.error("usage: dolos_scan.mjs collection DIR LANGUAGE OUT [MIN_SIM] | pairs IN.jsonl OUT.jsonl");
  process.exit(2);
}
