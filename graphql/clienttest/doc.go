// Package clienttest checks receiptd's GraphQL API with real outside
// clients, the ones explorers use: the graphql npm package (graphql-js)
// builds the client schema from introspection and validates the explorer
// queries against it; the graphql-ws npm client receives subscription
// events; and the query console, loaded in headless Chromium through
// playwright-core, runs an example query.
//
// The tests build receiptd once, start `receiptd run` on an embedded
// devnet with a free loopback port, and run the node scripts in js/
// against it. The npm packages are pinned by js/package-lock.json and
// installed with `npm ci` when js/node_modules is missing; node and
// Chromium come from scripts/deps-clients.sh. With CI=true a missing tool
// fails the test; otherwise the test skips with the reason. -short skips
// them all.
//
// The package has no code of its own and imports nothing of receiptd's:
// it speaks to the server only over HTTP and WebSocket, as clients do.
package clienttest
