package condition

import "strconv"

// checkSense refuses conditions that parse but can never mean what their
// author wanted: Gatus accepts them and answers a constant.
func (p *parser) checkSense(c *Condition, opOff int, opText string) *SyntaxError {
	if !c.left.reads() && !c.right.reads() {
		return p.errorf(c.left.pos, "neither side reads a placeholder such as [STATUS] or [BODY].status")
	}
	sides := [2][2]*operand{{&c.left, &c.right}, {&c.right, &c.left}}
	for _, s := range sides {
		if err := p.checkSide(s[0], s[1], c.op, opOff, opText); err != nil {
			return err
		}
	}
	return nil
}

// checkSide checks x against the operator and the other side.
func (p *parser) checkSide(x, other *operand, op operator, opOff int, opText string) *SyntaxError {
	lit := other.kind == literal
	switch x.kind {
	case pattern, oneOf:
		if op.ordering() {
			return p.errorf(x.pos, "%s() works only with == and !=, not %s", x.text[:3], opText)
		}
	case presence:
		if op.ordering() {
			return p.errorf(opOff, "has() is true or false: compare it with == or !=")
		}
		if !lit || !isBool(other.lit) {
			return p.errorf(other.pos, "compare has() with true or false")
		}
	case length:
		if lit && !op.ordering() && !isNumber(other.lit) {
			return p.errorf(other.pos, "len() is a number: compare it with a number")
		}
	case value:
		switch x.ref.ph {
		case Connected:
			if op.ordering() {
				return p.errorf(opOff, "[CONNECTED] is true or false: compare it with == or !=")
			}
			if lit && !isBool(other.lit) {
				return p.errorf(other.pos, "compare [CONNECTED] with true or false")
			}
		case IP, DNSRcode:
			if op.ordering() {
				return p.errorf(opOff, "%s is not a number: compare it with == or !=", x.ref.ph)
			}
		case Status:
			if lit && !op.ordering() && !isNumber(other.lit) {
				return p.errorf(other.pos, "compare [STATUS] with a number such as 200 (pat(2*) matches a class)")
			}
		case ResponseTime, CertificateExpiration:
			if lit && !op.ordering() && !isNumber(other.lit) {
				return p.errorf(other.pos, "compare %s with a number of milliseconds", x.ref.ph)
			}
		}
	}
	if lit && op.ordering() {
		if _, ok := orderable(other.lit); !ok {
			return p.errorf(other.pos, "%s", notOrderable(other.lit))
		}
	}
	return nil
}

func isBool(s string) bool { return s == "true" || s == "false" }

func isNumber(s string) bool {
	_, ok := parseNumber(s)
	return ok
}

// notOrderable explains why s cannot stand on one side of < <= > >=,
// with the hours to write when s counts days or weeks.
func notOrderable(s string) string {
	q := strconv.Quote(s)
	if n, err := strconv.Atoi(s[:len(s)-1]); err == nil && n >= 0 {
		switch s[len(s)-1] {
		case 'd':
			return q + ": Go durations have no days; write " + strconv.Itoa(n*24) + "h"
		case 'w':
			return q + ": Go durations have no weeks; write " + strconv.Itoa(n*24*7) + "h"
		}
	}
	return q + " is not a number or a duration such as 48h"
}
