package graphql

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ethereum/go-ethereum/common/lru"
	"github.com/graph-gophers/graphql-go/ast"
)

// listFactor is the size assumed for a list of objects that is not a
// connection (a block's bundles, a receipt's backers or inboxed bundles):
// such lists are bounded by the protocol and usually short.
const listFactor = 10

// limits are the static checks a query passes before it runs.
type limits struct {
	schema      *ast.Schema
	maxDepth    int
	maxCost     int
	defaultPage int
	maxPage     int
	maxAliases  int
	// docs keeps the documents check parsed, by query text: clients send
	// the same few queries with other variables, and a parsed document is
	// only read. Queries over maxCachedQuery bytes are not kept.
	docs *lru.Cache[string, *document]
}

const (
	maxCachedDocs  = 512
	maxCachedQuery = 16 << 10
)

// parse parses query, or returns the document parsed before.
func (l *limits) parse(query string) (*document, error) {
	if doc, ok := l.docs.Get(query); ok {
		return doc, nil
	}
	doc, err := parseDocument(query)
	if err == nil && len(query) <= maxCachedQuery {
		l.docs.Add(query, doc)
	}
	return doc, err
}

// analysis is one query's estimate. Cost counts each field once per object
// it will be resolved on: a connection multiplies what it selects by its
// page size (first or last, else the default page), a plain list of
// objects by listFactor. So `receipts(first: 100) { edges { node {
// backers { id } } } }` costs 1 + 100·(1 + 1 + 1 + 10·1).
type analysis struct {
	*limits
	doc       *document
	vars      map[string]any
	cost      int
	aliases   int
	visits    int             // selections visited, a fragment's each time it is spread
	expanding map[string]bool // fragments being expanded, for cycles
	roots     []string        // the root fields selected, the first two (rootField)
}

var errTooCostly = errors.New("too costly")

// The work of an analysis is bounded by its visits, at most maxCost: a
// chain of fragments spread many times costs little (a spread is not a
// field) but is walked once per spread, and would otherwise take minutes
// before the query's time limit starts. graphql-go bounds its own
// expansion the same way (MaxSelections, set to MaxCost).

// check parses the query and refuses it when it is too deep or too
// costly; it returns the kind ("query", "mutation", "subscription") of
// the operation the request runs and what it asks for (rootField), for
// request metrics. Errors name the limit and the figures.
func (l *limits) check(query, opName string, vars map[string]any) (kind, field string, err error) {
	doc, err := l.parse(query)
	if err != nil {
		return "", "", err
	}
	var op *operation
	for _, o := range doc.ops {
		if opName == "" && len(doc.ops) == 1 || o.name == opName && opName != "" {
			op = o
		}
	}
	if op == nil {
		if opName == "" {
			return "", "", fmt.Errorf("the document has %d operations: name one with operationName", len(doc.ops))
		}
		return "", "", fmt.Errorf("no operation named %q", opName)
	}
	root := map[string]string{"query": "Query", "mutation": "Mutation", "subscription": "Subscription"}[op.kind]
	// A variable the request leaves out takes its default, as it will
	// when the query runs: a page size from a default counts too.
	for k, v := range op.defaults {
		if _, given := vars[k]; !given {
			vars = maps.Clone(vars)
			if vars == nil {
				vars = map[string]any{}
			}
			vars[k] = v
		}
	}
	a := &analysis{limits: l, doc: doc, vars: vars, expanding: map[string]bool{}}
	err = a.selections(op.sels, root, 1, 1)
	switch {
	case errors.Is(err, errTooCostly):
		return "", "", fmt.Errorf("query cost exceeds the limit of %d (each field counts once per object it is resolved on; connections multiply by their page size): ask for smaller pages or fewer fields", l.maxCost)
	case err != nil:
		return "", "", err
	}
	return op.kind, a.rootField(), nil
}

// Values of rootField besides the schema's root field names.
const (
	fieldMultiple = "multiple" // more than one root field
	fieldNone     = "none"     // no root field the schema has (only __typename, or unknown names)
)

// rootField names what an operation asks for, for request metrics: the
// root field it selects (aliases and fragments seen through; __schema and
// __type for introspection), fieldMultiple when it selects more than one,
// fieldNone when it selects none the schema has. The values come from the
// schema, never from the client, so one client cannot fill the label with
// names of its own, as it could with operation names. a.field collects
// them as the check walks the root (a.roots).
func (a *analysis) rootField() string {
	switch len(a.roots) {
	case 0:
		return fieldNone
	case 1:
		return a.roots[0]
	}
	return fieldMultiple
}

func (a *analysis) selections(sels []selection, parent string, mult, depth int) error {
	for _, s := range sels {
		if a.visits++; a.visits > a.maxCost {
			return fmt.Errorf("the query expands to more than %d selections (a fragment's count each time it is spread)", a.maxCost)
		}
		switch {
		case s.spread != "":
			f, ok := a.doc.frags[s.spread]
			if !ok {
				return fmt.Errorf("unknown fragment %q", s.spread)
			}
			if a.expanding[s.spread] {
				return fmt.Errorf("fragment %q spreads itself", s.spread)
			}
			a.expanding[s.spread] = true
			err := a.selections(f.sels, f.on, mult, depth)
			delete(a.expanding, s.spread)
			if err != nil {
				return err
			}
		case s.name == "":
			on := parent
			if s.on != "" {
				on = s.on
			}
			if err := a.selections(s.sels, on, mult, depth); err != nil {
				return err
			}
		default:
			if err := a.field(s, parent, mult, depth); err != nil {
				return err
			}
		}
	}
	return nil
}

func (a *analysis) field(s selection, parent string, mult, depth int) error {
	if depth == 1 && len(a.roots) < 2 && !slices.Contains(a.roots, s.name) &&
		(s.name == "__schema" || s.name == "__type" || a.fieldDef(parent, s.name) != nil) {
		a.roots = append(a.roots, s.name) // __typename and unknown names are no root field
	}
	if depth > a.maxDepth {
		return fmt.Errorf("field %q is nested %d deep, the limit is %d", s.name, depth, a.maxDepth)
	}
	if a.cost += mult; a.cost > a.maxCost {
		return errTooCostly
	}
	if s.aliased {
		if a.aliases++; a.aliases > a.maxAliases {
			return fmt.Errorf("the query uses more than %d aliases", a.maxAliases)
		}
	}
	if strings.HasPrefix(s.name, "__") || len(s.sels) == 0 {
		return nil // introspection is bounded by the schema; leaves end here
	}
	def := a.fieldDef(parent, s.name)
	if def == nil {
		return nil // graphql-go's validation names the unknown field
	}
	child, list := unwrap(def.Type)
	factor := 1
	switch {
	case strings.HasSuffix(child, "Connection"):
		n, err := a.pageSize(s.args)
		if err != nil {
			return err
		}
		factor = n
	case list && !strings.HasSuffix(parent, "Connection"):
		factor = listFactor
	}
	next := mult * factor
	if next > a.maxCost || next < 0 {
		return errTooCostly
	}
	return a.selections(s.sels, child, next, depth+1)
}

func (a *analysis) fieldDef(typeName, field string) *ast.FieldDefinition {
	switch t := a.schema.Types[typeName].(type) {
	case *ast.ObjectTypeDefinition:
		return t.Fields.Get(field)
	case *ast.InterfaceTypeDefinition:
		return t.Fields.Get(field)
	}
	return nil
}

// pageSize is the page a connection field asks for: first or last, from
// a literal or a variable, else the default. Sizes over the maximum are
// refused here, before anything runs.
func (a *analysis) pageSize(args map[string]any) (int, error) {
	size := 0
	for _, k := range []string{"first", "last"} {
		v, ok := args[k]
		if !ok {
			continue
		}
		if ref, isVar := v.(varRef); isVar {
			v = a.vars[string(ref)]
		}
		var n int
		switch x := v.(type) {
		case int64:
			n = int(min(x, 1<<40))
		case float64:
			n = int(min(x, 1<<40))
		}
		if n > a.maxPage {
			return 0, fmt.Errorf("%s %d is over the maximum page size %d", k, n, a.maxPage)
		}
		size = max(size, n)
	}
	if size <= 0 {
		size = a.defaultPage
	}
	return size, nil
}

// unwrap returns the named type under non-null and list wrappers and
// whether a list wraps it.
func unwrap(t ast.Type) (string, bool) {
	list := false
	for {
		switch w := t.(type) {
		case *ast.NonNull:
			t = w.OfType
		case *ast.List:
			t, list = w.OfType, true
		case ast.NamedType:
			return w.TypeName(), list
		case *ast.TypeName:
			return w.Name, list
		default:
			return "", list
		}
	}
}
