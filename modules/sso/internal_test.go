package sso

import (
	"errors"
	"testing"
)

func TestSafeNext(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/", "/"},
		{"/monitors/7", "/monitors/7"},
		{"/monitors?tab=incidents#top", "/monitors?tab=incidents#top"},
		{"/a//b", "/a//b"},
		{"", ""},
		{"monitors", ""},
		{"//evil", ""},
		{"///evil", ""},
		{"/\\evil", ""},
		{"\\\\evil", ""},
		{"/a\\b", ""},
		{"https://evil", ""},
		{"javascript:alert(1)", ""},
		{"/\t/evil", ""},
		{"/\n/evil", ""},
		{"/%zz", ""},
	}
	for _, tt := range tests {
		if got := safeNext(tt.in); got != tt.want {
			t.Errorf("safeNext(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSealer(t *testing.T) {
	s, err := newSealer([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	other, err := newSealer([]byte("fedcba9876543210fedcba9876543210"))
	if err != nil {
		t.Fatal(err)
	}
	in := login{State: "st", Nonce: "no", Verifier: "ve", Next: "/x", IssuedAt: 1700000000}
	v, err := s.seal(in)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := s.open(v); err != nil || out != in {
		t.Errorf("open(seal(l)) = %+v, %v; want %+v", out, err, in)
	}
	if _, err := other.open(v); !errors.Is(err, errUnsealable) {
		t.Errorf("open with another key = %v, want errUnsealable", err)
	}
	for _, bad := range []string{"", "not base64!", v[:len(v)-2], v + "AA"} {
		if _, err := s.open(bad); !errors.Is(err, errUnsealable) {
			t.Errorf("open(%q) = %v, want errUnsealable", bad, err)
		}
	}
}
