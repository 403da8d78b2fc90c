package probe

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"
)

func TestBodyScan(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		keyword    string
		limit      int64
		oneByte    bool // deliver the body one byte per read, so every match spans reads
		wantFound  bool
		wantCapped bool
	}{
		{name: "found in one read", body: "hello world", keyword: "world", limit: 1 << 20, wantFound: true},
		{name: "found across reads", body: "hello world", keyword: "lo wo", limit: 1 << 20, oneByte: true, wantFound: true},
		{name: "one-byte keyword across reads", body: "abc", keyword: "c", limit: 1 << 20, oneByte: true, wantFound: true},
		{name: "near miss across reads", body: "hello world", keyword: "lo wx", limit: 1 << 20, oneByte: true},
		{name: "keyword at the very end of the limit", body: strings.Repeat("x", 100) + "END", keyword: "END", limit: 103, oneByte: true, wantFound: true, wantCapped: true},
		{name: "keyword at the very end of the body", body: strings.Repeat("x", 100) + "END", keyword: "END", limit: 104, oneByte: true, wantFound: true},
		{name: "keyword cut by the limit", body: strings.Repeat("x", 100) + "END", keyword: "END", limit: 102, wantCapped: true},
		{name: "no keyword", body: "anything", limit: 1 << 20},
		{name: "empty body", body: "", keyword: "x", limit: 1 << 20},
		{name: "longer than a read buffer", body: strings.Repeat("y", 40<<10) + "needle" + strings.Repeat("y", 40<<10),
			keyword: "needle", limit: 1 << 20, wantFound: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r io.Reader = strings.NewReader(tt.body)
			if tt.oneByte {
				r = iotest.OneByteReader(r)
			}
			s := bodyScan{keyword: []byte(tt.keyword)}
			if err := s.scan(r, tt.limit); err != nil {
				t.Fatalf("scan: %v", err)
			}
			if s.found != tt.wantFound || s.capped != tt.wantCapped {
				t.Errorf("found %v capped %v, want %v %v", s.found, s.capped, tt.wantFound, tt.wantCapped)
			}
			wantExcerpt := tt.body[:min(len(tt.body), excerptBytes, int(tt.limit))]
			if string(s.excerpt) != wantExcerpt {
				t.Errorf("excerpt is %d bytes, want %d", len(s.excerpt), len(wantExcerpt))
			}
		})
	}
}

func TestBodyScanReturnsReadError(t *testing.T) {
	boom := errors.New("boom")
	s := bodyScan{}
	if err := s.scan(iotest.ErrReader(boom), 100); !errors.Is(err, boom) {
		t.Errorf("scan error %v, want %v", err, boom)
	}
}

func TestSanitizeExcerpt(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "plain", in: "hello", want: "hello"},
		{name: "nul", in: "a\x00b", want: "a\uFFFDb"},
		{name: "invalid byte", in: "a\xffb", want: "a\uFFFDb"},
		{name: "rune cut at the end", in: "caf\xc3", want: "caf"},
		{name: "three-byte rune cut after two", in: "x\xe2\x82", want: "x"},
		{name: "whole rune at the end", in: "café", want: "café"},
		{name: "replacements never grow it past the limit", in: strings.Repeat("\xffa", excerptBytes/2),
			want: strings.Repeat("\uFFFDa", excerptBytes/4)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sanitizeExcerpt([]byte(tt.in))
			if got != tt.want {
				t.Errorf("sanitizeExcerpt(%.40q) = %.40q (%d bytes), want %.40q (%d bytes)", tt.in, got, len(got), tt.want, len(tt.want))
			}
			if !utf8.ValidString(got) || len(got) > excerptBytes {
				t.Errorf("result invalid or %d bytes long", len(got))
			}
		})
	}
}

func TestOneLine(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "short", in: "refused", want: "refused"},
		{name: "newlines folded", in: "bad\nthing\r\n\thappened", want: "bad thing happened"},
		{name: "long cut with ellipsis", in: strings.Repeat("é", 400), want: strings.Repeat("é", 254) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := oneLine(tt.in)
			if got != tt.want {
				t.Errorf("oneLine = %q (%d bytes), want %q", got, len(got), tt.want)
			}
			if len(got) > maxErrorBytes || !utf8.ValidString(got) {
				t.Errorf("result %d bytes or invalid UTF-8", len(got))
			}
		})
	}
}

func TestParseStatusEntry(t *testing.T) {
	tests := []struct {
		in     string
		want   statusRange
		wantOK bool
	}{
		{"200", statusRange{200, 200}, true},
		{"404", statusRange{404, 404}, true},
		{"2xx", statusRange{200, 299}, true},
		{"3XX", statusRange{300, 399}, true},
		{"5xX", statusRange{500, 599}, true},
		{"600", statusRange{}, false},
		{"6xx", statusRange{}, false},
		{"099", statusRange{}, false},
		{"2x0", statusRange{}, false},
		{"20", statusRange{}, false},
		{"2000", statusRange{}, false},
		{"abc", statusRange{}, false},
		{"", statusRange{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := parseStatusEntry(tt.in)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("parseStatusEntry(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
