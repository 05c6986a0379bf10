// subscribe.mjs URL [COUNT]: the graphql-ws npm client against receiptd.
//
// It opens one graphql-transport-ws connection, subscribes to newHeads and
// to receiptUpdates, waits for COUNT (default 3) events of each, then ends
// both subscriptions from the client side and disposes of the client. It
// fails on any error message, on an event that does not match its
// subscription, or when the socket does not close normally (1000).
import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { deadline, endpoint } from "./lib.mjs";

const url = endpoint().replace(/^http/, "ws");
const want = Number(process.argv[3] ?? 3);
deadline(60_000, "subscribe.mjs");

let closed;
const closedP = new Promise((resolve) => { closed = resolve; });
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  lazy: false,
  retryAttempts: 0,
  on: { closed: (ev) => closed(ev), connected: () => console.log(`connected to ${url}`) },
});

async function take(name, query, check) {
  const events = [];
  const it = client.iterate({ query });
  for await (const msg of it) {
    if (msg.errors?.length) throw new Error(`${name}: ${JSON.stringify(msg.errors)}`);
    const problem = check(msg.data);
    if (problem) throw new Error(`${name}: ${problem}: ${JSON.stringify(msg.data)}`);
    events.push(msg.data);
    console.log(`${name} #${events.length}: ${JSON.stringify(msg.data)}`);
    if (events.length >= want) break; // return() sends complete to the server
  }
  if (events.length < want) throw new Error(`${name}: the server completed after ${events.length} events`);
  return events.length;
}

const hex = /^0x[0-9a-f]+$/;
const [heads, receipts] = await Promise.all([
  take("newHeads", `subscription { newHeads { type number hash block { number } } }`, (d) => {
    const h = d?.newHeads;
    if (!h || !["HEAD", "REORG"].includes(h.type) || !hex.test(h.number) || !hex.test(h.hash)) return "not a chain event";
    if (h.type === "HEAD" && h.block && h.block.number !== h.number) return "block is not the head's";
  }),
  take("receiptUpdates", `subscription { receiptUpdates { hash number status domain { domainId } verdict { valid } } }`, (d) => {
    const r = d?.receiptUpdates;
    if (!r || !hex.test(r.hash) || !["PENDING", "CONFIRMED", "PRUNED"].includes(r.status)) return "not a receipt";
  }),
]);
await client.dispose();
const ev = await closedP;
console.log(`received ${heads} heads and ${receipts} receipt updates; socket closed ${ev.code} ${ev.reason || ""}`.trim());
if (ev.code !== 1000) {
  console.log(`FAIL: socket closed with ${ev.code}, want 1000`);
  process.exit(1);
}
