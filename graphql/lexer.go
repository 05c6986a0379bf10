package graphql

import "strings"

// next reads the next token of the document (GraphQL's lexical grammar:
// commas, whitespace, a byte-order mark and comments are ignored).
func (p *parser) next() error {
	src := p.src
	for p.i < len(src) {
		c := src[p.i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',':
			p.i++
			continue
		case c == '#':
			for p.i < len(src) && src[p.i] != '\n' && src[p.i] != '\r' {
				p.i++
			}
			continue
		case strings.HasPrefix(src[p.i:], "\uFEFF"):
			p.i += 3
			continue
		}
		break
	}
	start := p.i
	p.tok = token{pos: start}
	if p.i >= len(src) {
		return nil
	}
	c := src[p.i]
	switch {
	case c == '.':
		if !strings.HasPrefix(src[p.i:], "...") {
			return p.errorf("unexpected %q", ".")
		}
		p.i += 3
		p.tok.kind, p.tok.text = 'p', "..."
	case strings.IndexByte("!$&()[]{}:=@|", c) >= 0:
		p.i++
		p.tok.kind, p.tok.text = 'p', string(c)
	case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		for p.i < len(src) && isNameByte(src[p.i]) {
			p.i++
		}
		p.tok.kind, p.tok.text = 'n', src[start:p.i]
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	case c == '"':
		return p.str()
	default:
		return p.errorf("unexpected character %q", rune(c))
	}
	return nil
}

func isNameByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func (p *parser) number() error {
	src, start := p.src, p.i
	if src[p.i] == '-' {
		p.i++
	}
	digits := func() int {
		n := 0
		for p.i < len(src) && src[p.i] >= '0' && src[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if digits() == 0 {
		return p.errorf("malformed number")
	}
	p.tok.kind = 'i'
	if p.i < len(src) && src[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return p.errorf("malformed number")
		}
		p.tok.kind = 'f'
	}
	if p.i < len(src) && (src[p.i] == 'e' || src[p.i] == 'E') {
		p.i++
		if p.i < len(src) && (src[p.i] == '+' || src[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return p.errorf("malformed number")
		}
		p.tok.kind = 'f'
	}
	if p.i < len(src) && (isNameByte(src[p.i]) || src[p.i] == '.') {
		return p.errorf("malformed number")
	}
	p.tok.text = src[start:p.i]
	return nil
}

func (p *parser) str() error {
	src := p.src
	if strings.HasPrefix(src[p.i:], `"""`) {
		end := p.i + 3
		for {
			k := strings.Index(src[end:], `"""`)
			if k < 0 {
				return p.errorf("unterminated block string")
			}
			end += k
			if src[end-1] != '\\' {
				break
			}
			end += 3
		}
		p.i = end + 3
		p.tok.kind = 's'
		return nil
	}
	p.i++
	for p.i < len(src) {
		switch src[p.i] {
		case '\\':
			p.i += 2
			continue
		case '\n', '\r':
			return p.errorf("unterminated string")
		case '"':
			p.i++
			p.tok.kind = 's'
			return nil
		}
		p.i++
	}
	return p.errorf("unterminated string")
}
