package probe

import (
	"bytes"
	"io"
	"strings"
	"sync"
	"unicode/utf8"
)

// excerptBytes is how much of a body is kept as evidence.
const excerptBytes = 4 << 10

// readBufs recycles read buffers: a check streams its body through one
// instead of holding up to MaxBodyBytes in memory.
var readBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// bodyScan reads a body up to a byte limit, keeping an excerpt and looking
// for a keyword as the bytes stream past. A match split across two reads is
// found by keeping the last len(keyword)-1 bytes of what came before.
type bodyScan struct {
	keyword []byte
	keepAll bool   // keep the whole body read (conditions on [BODY] need it)
	all     []byte // the body read, when keepAll
	excerpt []byte
	found   bool
	read    int64
	capped  bool // stopped at the limit, the rest of the body unread
	tail    []byte
	seam    []byte
}

// scan reads r until EOF or limit bytes. It returns the read error other
// than io.EOF; reaching the limit is not an error.
func (s *bodyScan) scan(r io.Reader, limit int64) error {
	bp := readBufs.Get().(*[]byte)
	defer readBufs.Put(bp)
	buf := *bp
	for s.read < limit {
		chunk := buf
		if rest := limit - s.read; int64(len(chunk)) > rest {
			chunk = chunk[:rest]
		}
		n, err := r.Read(chunk)
		if n > 0 {
			s.feed(chunk[:n])
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
	s.capped = true
	return nil
}

func (s *bodyScan) feed(p []byte) {
	s.read += int64(len(p))
	if s.keepAll {
		s.all = append(s.all, p...)
	}
	if room := excerptBytes - len(s.excerpt); room > 0 {
		s.excerpt = append(s.excerpt, p[:min(room, len(p))]...)
	}
	k := len(s.keyword)
	if k == 0 || s.found {
		return
	}
	if len(s.tail) > 0 {
		s.seam = append(append(s.seam[:0], s.tail...), p[:min(len(p), k-1)]...)
		if bytes.Contains(s.seam, s.keyword) {
			s.found = true
			return
		}
	}
	if bytes.Contains(p, s.keyword) {
		s.found = true
		return
	}
	s.tail = append(s.tail, p[max(0, len(p)-(k-1)):]...)
	if over := len(s.tail) - (k - 1); over > 0 {
		s.tail = s.tail[:copy(s.tail, s.tail[over:])]
	}
}

// sanitizeExcerpt makes b safe to store and show: a rune cut at the end is
// dropped, invalid UTF-8 and NUL bytes (which PostgreSQL text rejects)
// become U+FFFD, and the result is at most excerptBytes long.
func sanitizeExcerpt(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	// Drop a multi-byte rune cut in half by the excerpt limit.
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				b = b[:i]
			}
			break
		}
	}
	s := string(b)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	}
	// Replacements are wider than the bytes they replace.
	if len(s) > excerptBytes {
		cut := excerptBytes
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return s
}
