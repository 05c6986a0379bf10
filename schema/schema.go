// Package schema holds receiptd's GraphQL schema: the *.graphql files
// beside this one, embedded. It has one job, to hand the schema text to the
// graphql package (and to tools that print it); it imports nothing of
// receiptd's.
package schema

import (
	"embed"
	"io/fs"
	"sort"
	"strings"
)

//go:embed *.graphql
var files embed.FS

// String is the whole schema: every *.graphql file, in name order.
func String() string {
	names, err := fs.Glob(files, "*.graphql")
	if err != nil { // the pattern is constant and valid
		panic(err)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		data, err := files.ReadFile(n)
		if err != nil { // embedded files are always readable
			panic(err)
		}
		b.WriteString("# ---- " + n + "\n")
		b.Write(data)
		b.WriteString("\n")
	}
	return b.String()
}
