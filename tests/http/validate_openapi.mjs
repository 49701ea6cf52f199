// Starts `engram serve` on a scratch store, fetches /openapi.json and
// validates it as OpenAPI 3.1 with @apidevtools/swagger-parser (schemas,
// $refs, parameters). Usage: node validate_openapi.mjs PATH_TO_ENGRAM
// Exit 0: valid; 1: invalid or the server failed; 77: node_modules missing
// (run `npm ci` in this folder).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
if (!existsSync(join(here, "node_modules", "@apidevtools", "swagger-parser"))) {
  console.error(`validate_openapi: ${here}/node_modules is missing; run 'npm ci' there`);
  process.exit(77);
}
const { default: SwaggerParser } = await import("@apidevtools/swagger-parser");

const engram = process.argv[2];
const scratch = mkdtempSync(join(tmpdir(), "engram_openapi_"));
const serve = spawn(engram, ["serve", "--store", join(scratch, "store"), "--listen", "127.0.0.1:0", "--no-access-log"],
                    { stdio: ["ignore", "ignore", "pipe"] });
let stderr = "";
const port = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error("engram serve did not start within 60 s:\n" + stderr)), 60000);
  serve.stderr.on("data", (chunk) => {
    stderr += chunk;
    const m = /on http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr);
    if (m) { clearTimeout(timer); resolve(Number(m[1])); }
  });
  serve.on("exit", (code) => reject(new Error(`engram serve exited with ${code}:\n${stderr}`)));
});

let failed = false;
try {
  const reply = await fetch(`http://127.0.0.1:${port}/openapi.json`);
  if (reply.status !== 200) throw new Error(`GET /openapi.json answered ${reply.status}`);
  const doc = await reply.json();
  if (doc.openapi !== "3.1.0") throw new Error(`openapi is ${doc.openapi}, expected 3.1.0`);
  const api = await SwaggerParser.validate(structuredClone(doc));
  const operations = Object.values(api.paths).flatMap((p) =>
    Object.keys(p).filter((k) => ["get", "put", "post", "delete"].includes(k)));
  console.log(`valid OpenAPI ${api.openapi}: ${Object.keys(api.paths).length} paths, ${operations.length} operations`);
} catch (e) {
  console.error(`validate_openapi: ${e.message}`);
  failed = true;
} finally {
  serve.kill("SIGTERM");
  await new Promise((resolve) => serve.on("exit", resolve));
  rmSync(scratch, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
