// validate.mjs URL: the graphql npm package's view of receiptd's schema.
//
// It fetches the schema by introspection, builds the client schema with
// buildClientSchema, validates every explorer query against it (none may
// have an error) and every wrong query (each must have one), then runs the
// explorer queries on the server with variables taken from the live index
// (none may come back with an error). Exit status 0 only if all hold.
import { buildClientSchema, getIntrospectionQuery, parse, printSchema, validate } from "graphql";
import { data, deadline, endpoint } from "./lib.mjs";
import { explorer, wrong } from "./queries.mjs";

const url = endpoint();
deadline(60_000, "validate.mjs");
let failures = 0;
const fail = (msg) => { failures++; console.log(`FAIL ${msg}`); };

const intro = await data(url, getIntrospectionQuery());
const schema = buildClientSchema(intro);
const types = Object.keys(schema.getTypeMap()).filter((n) => !n.startsWith("__"));
console.log(`client schema: ${types.length} types, ${printSchema(schema).split("\n").length} lines of SDL`);

for (const [name, q] of Object.entries(explorer)) {
  const errors = validate(schema, parse(q.query));
  if (errors.length) fail(`${name}: ${errors.map((e) => e.message).join("; ")}`);
  else console.log(`valid   ${name}`);
}
for (const [name, q] of Object.entries(wrong)) {
  const errors = validate(schema, parse(q));
  if (!errors.length) fail(`${name}: a wrong query validated: ${q}`);
  else console.log(`refused ${name}: ${errors[0].message}`);
}

// Variables from the live index: the busiest domain, a receipt of it and
// its domain block.
const { status } = await data(url, `{ status { domains { domain { domainId } verifiedHeight } } }`);
const dom = status.domains.reduce((a, b) => (BigInt(b.verifiedHeight) > BigInt(a.verifiedHeight) ? b : a));
const domain = dom.domain.domainId;
const { receipts } = await data(url, `query($d: Int!) { receipts(where: {domain: $d, numberFrom: 1}, first: 1) { nodes { id hash number domainBlock { id } } } }`, { d: domain });
const r = receipts.nodes[0];
if (!r) throw new Error(`domain ${domain} has no receipts yet`);
const vars = { domain, receipt: r.hash, number: r.number, receiptId: r.id, blockId: r.domainBlock?.id };
const names = { receipt: "hash" };
let ran = 0;
for (const [name, q] of Object.entries(explorer)) {
  if (q.subscription) continue;
  const v = {};
  for (const k of q.vars ?? []) v[names[k] ?? k] = vars[k];
  try {
    const d = await data(url, q.query, v);
    const empty = Object.entries(d).filter(([, x]) => x === null).map(([k]) => k);
    if (empty.length) fail(`${name}: null ${empty.join(", ")}`);
    ran++;
  } catch (e) {
    fail(`${name}: ${e.message}`);
  }
}
console.log(`executed ${ran} explorer queries on domain ${domain} (receipt ${r.hash} at ${r.number})`);
console.log(failures ? `${failures} failures` : "0 errors");
process.exit(failures ? 1 : 0);
