// engram's MCP server driven by the official TypeScript SDK client.
//
//   node client.mjs stdio   ENGRAM STORE_DIR   the tools over stdio
//   node client.mjs http    ENGRAM STORE_DIR   the tools over streamable HTTP,
//                                              and two clients on one server
//   node client.mjs shared  ENGRAM STORE_DIR   `engram serve` holds the store;
//                                              two `engram mcp` processes over
//                                              stdio work through its socket
//                                              beside an HTTP client of /mcp
//   node client.mjs handover ENGRAM STORE_DIR  no serve: the first `engram mcp`
//                                              holds the store, the next work
//                                              through it, one takes over when
//                                              it exits
//   node client.mjs compare ENGRAM WORK_DIR    the reference tool set against
//                                              @modelcontextprotocol/server-memory
//
// Exit status: 0 passed, 1 failed, 77 skipped (the store build has no
// RememberFact, which the reference tool set needs).
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { LATEST_PROTOCOL_VERSION } from "@modelcontextprotocol/sdk/types.js";

const SKIP = 77;
const [mode, engram, dir] = process.argv.slice(2);
if (!mode || !engram || !dir) {
  console.error("usage: node client.mjs stdio|http|serve|shared|handover|compare ENGRAM DIR");
  process.exit(2);
}

function log(...args) {
  console.log(`[${mode}]`, ...args);
}

async function connectStdio(command, args, env = {}) {
  const client = new Client({ name: "engram-test", version: "1.0.0" });
  const transport = new StdioClientTransport({ command, args, env: { ...process.env, ...env }, stderr: "pipe" });
  let stderr = "";
  transport.stderr?.on("data", (d) => (stderr += d));
  await client.connect(transport);
  return { client, transport, stderr: () => stderr };
}

async function connectHttp(url) {
  const client = new Client({ name: "engram-test", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  return { client, transport };
}

// A tool call that must succeed; returns its structuredContent (which the SDK
// has already checked against the tool's outputSchema).
async function ok(client, name, args = {}) {
  const result = await client.callTool({ name, arguments: args });
  assert.ok(!result.isError, `${name} failed: ${JSON.stringify(result.content)}`);
  assert.ok(result.structuredContent, `${name}: no structuredContent`);
  assert.equal(result.content[0].type, "text");
  return result.structuredContent;
}

async function toolError(client, name, args = {}) {
  const result = await client.callTool({ name, arguments: args });
  assert.ok(result.isError, `${name} should have failed: ${JSON.stringify(result)}`);
  return result.content[0].text;
}

async function lifecycleAvailable(client) {
  const result = await client.callTool({
    name: "create_entities",
    arguments: { tenant: "probe", entities: [{ name: "probe", entityType: "probe", observations: [] }] },
  });
  return !(result.isError && /not implemented/.test(result.content[0].text));
}

const EXPECTED_TOOLS = [
  "remember", "recall", "profile", "graph", "forget",
  "create_entities", "create_relations", "add_observations", "delete_entities", "delete_observations",
  "delete_relations", "read_graph", "search_nodes", "open_nodes",
];

// What every transport must do: the handshake, the tool list, engram's tools.
async function engramTools(client, tenant) {
  const version = client.getServerVersion();
  assert.equal(version.name, "engram");
  assert.ok(client.getServerCapabilities().tools, "no tools capability");
  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((t) => t.name).sort(), [...EXPECTED_TOOLS].sort());
  for (const t of tools) {
    assert.equal(t.inputSchema.type, "object", t.name);
    assert.equal(t.outputSchema.type, "object", t.name);
  }
  log(`initialized with ${version.name} ${version.version}; ${tools.length} tools`);

  const first = await ok(client, "remember", {
    tenant, speaker: "Maya", text: "I work as a nurse at St Mary's hospital.", session: "s1",
    time: "2024-05-07T18:30:00Z", id: "t1",
  });
  assert.equal(first.source_id, "t1");
  await ok(client, "remember", {
    tenant, speaker: "Maya", text: "My sister Lena lives in Berlin and loves painting.", session: "s1",
    time: "2024-05-07T18:31:00Z", id: "t2",
  });
  const recall = await ok(client, "recall", { tenant, question: "Where does Maya work?", k: 3 });
  assert.match(recall.text, /nurse/);
  assert.ok(recall.hits.some((h) => h.source_ids.includes("t1")), JSON.stringify(recall.hits));
  log(`recall: route ${recall.route.name}, ${recall.hits.length} hits, ${recall.tokens} tokens`);
  const profile = await ok(client, "profile", { tenant, speaker: "Maya" });
  assert.ok(profile.facts.length > 0, "no persona facts");
  const graph = await ok(client, "graph", { tenant });
  assert.ok(graph.entities.length > 0, "no entities");
  log(`profile: ${profile.facts.length} facts; graph: ${graph.entities.length} entities, ${graph.relations.length} relations`);

  assert.match(await toolError(client, "remember", { tenant, text: "no speaker" }), /'speaker' is required/);
  assert.match(await toolError(client, "recall", { tenant, question: "x", k: 0 }), /minimum/);

  const { resources } = await client.listResources();
  assert.ok(resources.some((r) => r.uri === `engram://tenants/${tenant}/profile`), JSON.stringify(resources));
  const { resourceTemplates } = await client.listResourceTemplates();
  assert.equal(resourceTemplates.length, 2);
  const read = await client.readResource({ uri: `engram://tenants/${tenant}/graph` });
  assert.ok(JSON.parse(read.contents[0].text).entities.length > 0);
  await client.ping();
}

// The reference tool set: one fixed sequence of calls; returns every result.
const REFERENCE_CALLS = [
  ["create_entities", { entities: [
    { name: "Ada", entityType: "person", observations: ["writes code", "likes tea"] },
    { name: "Acme", entityType: "company", observations: [] },
    { name: "Bob", entityType: "person", observations: ["plays chess"] },
  ] }],
  ["create_entities", { entities: [{ name: "Ada", entityType: "robot", observations: ["ignored"] }] }],
  ["create_relations", { relations: [
    { from: "Ada", to: "Acme", relationType: "works_at" },
    { from: "Bob", to: "Ada", relationType: "knows" },
  ] }],
  ["create_relations", { relations: [{ from: "Ada", to: "Acme", relationType: "works_at" }] }],
  ["add_observations", { observations: [{ entityName: "Ada", contents: ["likes tea", "runs marathons"] }] }],
  ["add_observations", { observations: [{ entityName: "Nobody", contents: ["x"] }] }],
  ["read_graph", {}],
  ["search_nodes", { query: "TEA" }],
  ["search_nodes", { query: "person" }],
  ["open_nodes", { names: ["Acme"] }],
  ["delete_observations", { deletions: [{ entityName: "Ada", observations: ["runs marathons"] }] }],
  ["delete_relations", { relations: [{ from: "Bob", to: "Ada", relationType: "knows" }] }],
  ["read_graph", {}],
  ["delete_entities", { entityNames: ["Acme"] }],
  ["read_graph", {}],
];

async function runReference(client) {
  const results = [];
  for (const [name, args] of REFERENCE_CALLS) {
    const r = await client.callTool({ name, arguments: args });
    results.push({ name, isError: Boolean(r.isError), structured: r.isError ? null : r.structuredContent });
  }
  return results;
}

async function stopEngramHttp(server) {
  server.kill("SIGTERM");
  const code = await new Promise((resolve) => server.on("exit", (c) => resolve(c)));
  assert.equal(code, 0, "engram mcp --http did not exit cleanly on SIGTERM");
}

// `engram mcp --http`, or (mode "serve") the HTTP API server `engram serve`,
// which serves MCP at /mcp of the same port.
function startEngramHttp(store) {
  const args = mode === "serve" || mode === "shared"
    ? ["serve", "--store", store, "--listen", "127.0.0.1:0"]
    : ["mcp", "--store", store, "--tenant", "maya", "--http", "127.0.0.1:0"];
  const server = spawn(engram, args, { stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let stderr = "";
    server.stderr.on("data", (d) => {
      stderr += d;
      const viaServe = mode === "serve" || mode === "shared";
      const m = viaServe ? /serving .* on (http:\/\/[^\s]+)/.exec(stderr) : /at (http:\/\/\S+\/mcp)/.exec(stderr);
      if (m) resolve({ server, url: viaServe ? `${m[1]}/mcp` : m[1] });
    });
    server.on("exit", (c) => reject(new Error(`engram ${args[0]} exited (${c}): ${stderr}`)));
  });
}

async function main() {
  if (mode === "stdio") {
    const { client, transport, stderr } = await connectStdio(engram, ["mcp", "--store", dir, "--tenant", "maya"]);
    await engramTools(client, "maya");
    await engramTools(client, "omar");  // a second tenant through the argument
    await client.close();
    assert.match(stderr(), /MCP server on store/);
    log("passed");
    return 0;
  }

  if (mode === "http" || mode === "serve") {
    const { server, url } = await startEngramHttp(dir);
    try {
      const a = await connectHttp(url);
      assert.ok(a.transport.sessionId, "no Mcp-Session-Id");
      assert.equal(a.transport.protocolVersion, LATEST_PROTOCOL_VERSION);
      await engramTools(a.client, "maya");

      // Two clients on one server write at once; each sees every write of the other.
      const b = await connectHttp(url);
      assert.notEqual(a.transport.sessionId, b.transport.sessionId);
      const n = 10;
      const writes = [];
      for (let i = 0; i < n; i++) {
        writes.push(ok(a.client, "remember", { tenant: "shared", speaker: "Ana", id: `a${i}`,
          text: `I keep a red kayak number ${i} by the lake.` }));
        writes.push(ok(b.client, "remember", { tenant: "shared", speaker: "Ben", id: `b${i}`,
          text: `I ride a blue tandem bicycle number ${i} to work.` }));
      }
      const seqs = (await Promise.all(writes)).map((r) => r.seq);
      assert.equal(new Set(seqs).size, 2 * n, "two writes got one sequence number");
      const seenByA = await ok(a.client, "recall", { tenant: "shared", question: "blue tandem bicycle", k: 50 });
      const seenByB = await ok(b.client, "recall", { tenant: "shared", question: "red kayak lake", k: 50 });
      assert.ok(seenByA.hits.some((h) => h.source_ids.some((s) => s.startsWith("b"))), "A does not see B's turns");
      assert.ok(seenByB.hits.some((h) => h.source_ids.some((s) => s.startsWith("a"))), "B does not see A's turns");

      let reference = "skipped (no RememberFact in this build)";
      if (await lifecycleAvailable(a.client)) {
        const creates = [];
        for (let i = 0; i < 10; i++) {
          creates.push(ok(a.client, "create_entities", { tenant: "kg", entities: [{ name: `a-node-${i}`, entityType: "t", observations: [`from a ${i}`] }] }));
          creates.push(ok(b.client, "create_entities", { tenant: "kg", entities: [{ name: `b-node-${i}`, entityType: "t", observations: [`from b ${i}`] }] }));
        }
        await Promise.all(creates);
        for (const c of [a.client, b.client]) {
          const g = await ok(c, "read_graph", { tenant: "kg" });
          assert.equal(g.entities.length, 20, JSON.stringify(g));
        }
        reference = "20 entities from two clients, both see all";
      }
      await b.transport.terminateSession();
      await b.client.close();
      await a.client.close();
      log(`two clients: ${2 * n} turns written at once, each sees the other's; reference tools: ${reference}`);
    } finally {
      await stopEngramHttp(server);
    }
    // Nothing lost: the store holds every turn after the server is gone.
    const exported = execFileSync(engram, ["export", "--store", dir, "--tenant", "shared"]).toString();
    const ids = exported.trim().split("\n").map((l) => JSON.parse(l).id ?? JSON.parse(l).source_id);
    assert.equal(ids.length, 20, exported);
    for (let i = 0; i < 10; i++) assert.ok(ids.includes(`a${i}`) && ids.includes(`b${i}`), `turn ${i} lost`);
    log("passed");
    return 0;
  }

  if (mode === "shared") {
    // serve holds the store; each `engram mcp` finds it held and works
    // through serve's unix socket, so all three clients share one store.
    const { server, url } = await startEngramHttp(dir);
    const exportIds = (tenant) => execFileSync(engram, ["export", "--store", dir, "--tenant", tenant]).toString()
      .trim().split("\n").map((l) => JSON.parse(l).id);
    try {
      const a = await connectStdio(engram, ["mcp", "--store", dir, "--tenant", "maya"]);
      await engramTools(a.client, "maya");
      assert.match(a.stderr(), /held by another engram process; working through/);
      const b = await connectStdio(engram, ["mcp", "--store", dir, "--tenant", "maya"]);
      const c = await connectHttp(url);
      const n = 10;
      const writes = [];
      for (let i = 0; i < n; i++) {
        writes.push(ok(a.client, "remember", { tenant: "shared", speaker: "Ana", id: `a${i}`,
          text: `I keep a red kayak number ${i} by the lake.` }));
        writes.push(ok(b.client, "remember", { tenant: "shared", speaker: "Ben", id: `b${i}`,
          text: `I ride a blue tandem bicycle number ${i} to work.` }));
        writes.push(ok(c.client, "remember", { tenant: "shared", speaker: "Cy", id: `c${i}`,
          text: `I grow green tomatoes number ${i} on the balcony.` }));
      }
      const seqs = (await Promise.all(writes)).map((r) => r.seq);
      assert.equal(new Set(seqs).size, 3 * n, "two writes got one sequence number");
      const sees = async (client, question, prefix) => {
        const r = await ok(client, "recall", { tenant: "shared", question, k: 50 });
        return r.hits.some((h) => h.source_ids.some((s) => s.startsWith(prefix)));
      };
      assert.ok(await sees(a.client, "blue tandem bicycle", "b"), "A does not see B's turns");
      assert.ok(await sees(b.client, "green tomatoes balcony", "c"), "B does not see C's turns");
      assert.ok(await sees(c.client, "red kayak lake", "a"), "C does not see A's turns");
      // While serve runs, a read-only command sees every acknowledged write.
      assert.equal(exportIds("shared").length, 3 * n);

      // The reference tool set through one forwarded client, read back by another.
      await ok(a.client, "create_entities", { tenant: "kg", entities: [{ name: "Ada", entityType: "person", observations: ["likes tea"] }] });
      await ok(b.client, "add_observations", { tenant: "kg", observations: [{ entityName: "Ada", contents: ["runs marathons"] }] });
      const g = await ok(c.client, "read_graph", { tenant: "kg" });
      assert.deepEqual(g.entities.map((e) => [e.name, [...e.observations].sort()]), [["Ada", ["likes tea", "runs marathons"]]]);
      for (const x of [a, b]) await x.client.close();
      await c.client.close();
      log(`three clients (two forwarded over stdio, one HTTP): ${3 * n} turns written at once, each sees the others'`);
    } finally {
      await stopEngramHttp(server);
    }
    const ids = exportIds("shared");
    assert.equal(ids.length, 30);
    for (let i = 0; i < 10; i++) for (const p of ["a", "b", "c"]) assert.ok(ids.includes(`${p}${i}`), `turn ${p}${i} lost`);
    log("passed");
    return 0;
  }

  if (mode === "handover") {
    // Each MCP client starts its own `engram mcp` on the same store, as
    // Claude Desktop and an IDE configured alike would.
    const exportIds = (tenant) => execFileSync(engram, ["export", "--store", dir, "--tenant", tenant]).toString()
      .trim().split("\n").map((l) => JSON.parse(l).id);
    const start = () => connectStdio(engram, ["mcp", "--store", dir, "--tenant", "shared"]);
    const write = (c, who, i) => ok(c.client, "remember", { speaker: who, id: `${who}${i}`,
      text: `${who} planted apple tree number ${i} in the orchard.` });
    const a = await start();
    const b = await start();
    assert.doesNotMatch(a.stderr(), /working through/);
    assert.match(b.stderr(), /held by another engram process; working through/);
    const writes = [];
    for (let i = 0; i < 10; i++) writes.push(write(a, "ana", i), write(b, "ben", i));
    await Promise.all(writes);
    const seenByB = await ok(b.client, "recall", { question: "apple tree orchard", k: 50 });
    assert.ok(seenByB.hits.some((h) => h.source_ids.some((s) => s.startsWith("ana"))), "B does not see A's turns");

    // The holder goes; B's next call takes the store over, and a new client
    // works through B.
    await a.client.close();
    for (let i = 10; i < 15; i++) await write(b, "ben", i);
    const c = await start();
    assert.match(c.stderr(), /working through/);
    for (let i = 0; i < 5; i++) await write(c, "cy", i);
    const seenByC = await ok(c.client, "recall", { question: "apple tree orchard", k: 100 });
    for (const who of ["ana", "ben", "cy"]) {
      assert.ok(seenByC.hits.some((h) => h.source_ids.some((s) => s.startsWith(who))), `C does not see ${who}'s turns`);
    }
    await c.client.close();
    await b.client.close();
    const ids = exportIds("shared");
    assert.equal(ids.length, 30, ids.join(","));
    log("two clients on one store without serve; after the holder exited another took over; 30 turns, none lost");
    log("passed");
    return 0;
  }

  if (mode === "compare") {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const require = createRequire(import.meta.url);
    const memoryServer = path.join(path.dirname(require.resolve("@modelcontextprotocol/server-memory/package.json")), "dist", "index.js");
    const ref = await connectStdio(process.execPath, [memoryServer], { MEMORY_FILE_PATH: path.join(dir, "memory.jsonl") });
    await ref.client.listTools();
    const ours = await connectStdio(engram, ["mcp", "--store", path.join(dir, "store"), "--tenant", "kg"]);
    await ours.client.listTools();
    if (!(await lifecycleAvailable(ours.client))) {
      await ref.client.close();
      await ours.client.close();
      console.log("SKIP: this engram build has no RememberFact/ForgetFact; the reference tool set cannot run");
      return SKIP;
    }
    const expected = await runReference(ref.client);
    const actual = await runReference(ours.client);
    await ref.client.close();
    await ours.client.close();
    for (let i = 0; i < expected.length; i++) {
      assert.deepEqual(actual[i], expected[i], `call ${i} (${expected[i].name}) differs from the reference server`);
    }
    log(`${expected.length} calls, the same results as the reference server`);
    // Durable: the graph is still there after a restart.
    const again = await connectStdio(engram, ["mcp", "--store", path.join(dir, "store"), "--tenant", "kg"]);
    await again.client.listTools();
    const graph = await ok(again.client, "read_graph");
    await again.client.close();
    assert.deepEqual(graph, expected[expected.length - 1].structured);
    log("passed");
    return 0;
  }
  console.error(`unknown mode '${mode}'`);
  return 2;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`[${mode}] FAILED:`, error);
    process.exit(1);
  },
);
