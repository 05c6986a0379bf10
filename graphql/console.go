package graphql

import (
	_ "embed"
	"net/http"
)

// console.html is the query console: one self-contained page (no CDN, no
// external script) with example queries, that POSTs to the path it was
// served from and runs subscriptions over graphql-transport-ws.
//
//go:embed console.html
var consoleHTML []byte

func serveConsole(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self' ws: wss:")
	w.Write(consoleHTML)
}
