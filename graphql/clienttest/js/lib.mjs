// Helpers shared by the client scripts: argument parsing, a POST client
// and a deadline so that a script never hangs the Go test.

/** The GraphQL endpoint, the script's first argument. */
export function endpoint() {
  const url = process.argv[2];
  if (!url || !/^https?:\/\//.test(url)) {
    console.error(`usage: node ${process.argv[1]} http://HOST:PORT/graphql`);
    process.exit(2);
  }
  return url;
}

/** Ends the process with a failure after ms milliseconds. */
export function deadline(ms, what) {
  const t = setTimeout(() => {
    console.error(`FAIL: ${what} did not finish within ${ms} ms`);
    process.exit(1);
  }, ms);
  t.unref();
}

/** POSTs one GraphQL request and returns the decoded response body. */
export async function post(url, query, variables = {}) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  if (!res.headers.get("content-type")?.includes("json")) {
    throw new Error(`HTTP ${res.status}: ${await res.text()}`);
  }
  return res.json();
}

/** POSTs a request that must succeed and returns its data. */
export async function data(url, query, variables = {}) {
  const body = await post(url, query, variables);
  if (body.errors?.length) {
    throw new Error(`query failed: ${JSON.stringify(body.errors)}\n${query}`);
  }
  return body.data;
}
