package graphql

import "strconv"

func (p *parser) arguments() (map[string]any, error) {
	if !p.is('p', "(") {
		return nil, nil
	}
	if err := p.next(); err != nil {
		return nil, err
	}
	args := map[string]any{}
	for !p.is('p', ")") {
		n, err := p.name()
		if err != nil {
			return nil, err
		}
		if err := p.expect('p', ":"); err != nil {
			return nil, err
		}
		if args[n], err = p.value(); err != nil {
			return nil, err
		}
	}
	return args, p.next()
}

func (p *parser) directives() error {
	for p.is('p', "@") {
		if err := p.next(); err != nil {
			return err
		}
		if _, err := p.name(); err != nil {
			return err
		}
		if _, err := p.arguments(); err != nil {
			return err
		}
	}
	return nil
}

// value reads a value; it returns int64 for an integer, varRef for a
// variable and nil for anything else.
func (p *parser) value() (any, error) {
	t := p.tok
	switch {
	case t.kind == 'p' && t.text == "$":
		if err := p.next(); err != nil {
			return nil, err
		}
		n, err := p.name()
		return varRef(n), err
	case t.kind == 'i':
		n, err := strconv.ParseInt(t.text, 10, 64)
		if err != nil {
			n = 1 << 62 // out of range: certainly over any limit
		}
		return n, p.next()
	case t.kind == 'f' || t.kind == 's' || t.kind == 'n':
		return nil, p.next()
	case t.kind == 'p' && (t.text == "[" || t.text == "{"):
		if err := p.enter(); err != nil {
			return nil, err
		}
		defer func() { p.nest-- }()
		end := map[string]string{"[": "]", "{": "}"}[t.text]
		if err := p.next(); err != nil {
			return nil, err
		}
		for !p.is('p', end) {
			if p.tok.kind == 0 {
				return nil, p.errorf("unterminated value")
			}
			if t.text == "{" {
				if _, err := p.name(); err != nil {
					return nil, err
				}
				if err := p.expect('p', ":"); err != nil {
					return nil, err
				}
			}
			if _, err := p.value(); err != nil {
				return nil, err
			}
		}
		return nil, p.next()
	}
	return nil, p.errorf("expected a value")
}
