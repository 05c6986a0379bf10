package graphql

import (
	"fmt"
)

// A small parser for GraphQL executable documents, enough to estimate a
// query's cost and depth before graphql-go parses, validates and runs it
// (graphql-go keeps its parser internal). It reads what the spec allows
// and keeps only what the estimate needs: operations, fragments, fields
// with their arguments, and spreads. Anything it cannot read is refused
// with the position; graphql-go would refuse it too.

const maxNesting = 64 // selection sets, lists and objects nested deeper are refused

type document struct {
	ops   []*operation
	frags map[string]*fragment
}

type operation struct {
	kind, name string
	sels       []selection
	defaults   map[string]any // variables' default values, by name
}

type fragment struct {
	on   string
	sels []selection
}

// selection is a field (name set), a spread (spread set) or an inline
// fragment (neither; on optional).
type selection struct {
	name, spread, on string
	aliased          bool
	args             map[string]any // int64, varRef, or nil for other values
	sels             []selection
}

type varRef string

type token struct {
	kind byte // 'n' name, 'i' int, 'f' float, 's' string, 'p' punctuator, 0 end
	text string
	pos  int
}

type parser struct {
	src  string
	i    int
	tok  token
	nest int
}

func parseDocument(src string) (doc *document, err error) {
	p := &parser{src: src}
	if err := p.next(); err != nil {
		return nil, err
	}
	doc = &document{frags: map[string]*fragment{}}
	for p.tok.kind != 0 {
		switch {
		case p.tok.kind == 'p' && p.tok.text == "{":
			sels, err := p.selectionSet()
			if err != nil {
				return nil, err
			}
			doc.ops = append(doc.ops, &operation{kind: "query", sels: sels})
		case p.tok.kind == 'n' && (p.tok.text == "query" || p.tok.text == "mutation" || p.tok.text == "subscription"):
			op, err := p.operation()
			if err != nil {
				return nil, err
			}
			doc.ops = append(doc.ops, op)
		case p.tok.kind == 'n' && p.tok.text == "fragment":
			if err := p.fragment(doc); err != nil {
				return nil, err
			}
		default:
			return nil, p.errorf("expected an operation or a fragment")
		}
	}
	return doc, nil
}

func (p *parser) errorf(format string, args ...any) error {
	line, col := 1, 1
	for _, c := range p.src[:min(p.tok.pos, len(p.src))] {
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return fmt.Errorf("syntax error at %d:%d: %s", line, col, fmt.Sprintf(format, args...))
}

func (p *parser) is(kind byte, text string) bool { return p.tok.kind == kind && p.tok.text == text }

func (p *parser) expect(kind byte, text string) error {
	if !p.is(kind, text) {
		return p.errorf("expected %q", text)
	}
	return p.next()
}

func (p *parser) name() (string, error) {
	if p.tok.kind != 'n' {
		return "", p.errorf("expected a name")
	}
	n := p.tok.text
	return n, p.next()
}

func (p *parser) operation() (*operation, error) {
	op := &operation{kind: p.tok.text}
	if err := p.next(); err != nil {
		return nil, err
	}
	if p.tok.kind == 'n' {
		op.name = p.tok.text
		if err := p.next(); err != nil {
			return nil, err
		}
	}
	if p.is('p', "(") { // variable definitions: $name: Type = default @directives
		if err := p.next(); err != nil {
			return nil, err
		}
		for !p.is('p', ")") {
			if err := p.expect('p', "$"); err != nil {
				return nil, err
			}
			name, err := p.name()
			if err != nil {
				return nil, err
			}
			if err := p.expect('p', ":"); err != nil {
				return nil, err
			}
			if err := p.typeRef(); err != nil {
				return nil, err
			}
			if p.is('p', "=") {
				if err := p.next(); err != nil {
					return nil, err
				}
				v, err := p.value()
				if err != nil {
					return nil, err
				}
				if op.defaults == nil {
					op.defaults = map[string]any{}
				}
				op.defaults[name] = v
			}
			if err := p.directives(); err != nil {
				return nil, err
			}
		}
		if err := p.next(); err != nil {
			return nil, err
		}
	}
	if err := p.directives(); err != nil {
		return nil, err
	}
	var err error
	op.sels, err = p.selectionSet()
	return op, err
}

func (p *parser) typeRef() error {
	if p.is('p', "[") {
		if err := p.enter(); err != nil {
			return err
		}
		if err := p.next(); err != nil {
			return err
		}
		if err := p.typeRef(); err != nil {
			return err
		}
		if err := p.expect('p', "]"); err != nil {
			return err
		}
		p.nest--
	} else if _, err := p.name(); err != nil {
		return err
	}
	if p.is('p', "!") {
		return p.next()
	}
	return nil
}

func (p *parser) fragment(doc *document) error {
	if err := p.next(); err != nil {
		return err
	}
	name, err := p.name()
	if err != nil {
		return err
	}
	if !p.is('n', "on") {
		return p.errorf("expected \"on\"")
	}
	if err := p.next(); err != nil {
		return err
	}
	f := &fragment{}
	if f.on, err = p.name(); err != nil {
		return err
	}
	if err := p.directives(); err != nil {
		return err
	}
	if f.sels, err = p.selectionSet(); err != nil {
		return err
	}
	if _, dup := doc.frags[name]; dup {
		return p.errorf("fragment %q is defined twice", name)
	}
	doc.frags[name] = f
	return nil
}

func (p *parser) enter() error {
	if p.nest++; p.nest > maxNesting {
		return p.errorf("nested more than %d levels", maxNesting)
	}
	return nil
}

func (p *parser) selectionSet() ([]selection, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer func() { p.nest-- }()
	if err := p.expect('p', "{"); err != nil {
		return nil, err
	}
	var out []selection
	for !p.is('p', "}") {
		if p.tok.kind == 0 {
			return nil, p.errorf("unterminated selection set")
		}
		s, err := p.selection()
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, p.errorf("empty selection set")
	}
	return out, p.next()
}

func (p *parser) selection() (selection, error) {
	var s selection
	var err error
	if p.is('p', "...") {
		if err := p.next(); err != nil {
			return s, err
		}
		if p.tok.kind == 'n' && p.tok.text != "on" {
			s.spread = p.tok.text
			if err := p.next(); err != nil {
				return s, err
			}
			return s, p.directives()
		}
		if p.is('n', "on") {
			if err := p.next(); err != nil {
				return s, err
			}
			if s.on, err = p.name(); err != nil {
				return s, err
			}
		}
		if err := p.directives(); err != nil {
			return s, err
		}
		s.sels, err = p.selectionSet()
		return s, err
	}
	if s.name, err = p.name(); err != nil {
		return s, err
	}
	if p.is('p', ":") { // the first name was an alias
		s.aliased = true
		if err := p.next(); err != nil {
			return s, err
		}
		if s.name, err = p.name(); err != nil {
			return s, err
		}
	}
	if s.args, err = p.arguments(); err != nil {
		return s, err
	}
	if err := p.directives(); err != nil {
		return s, err
	}
	if p.is('p', "{") {
		s.sels, err = p.selectionSet()
	}
	return s, err
}
