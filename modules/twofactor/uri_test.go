package twofactor

import (
	"bytes"
	"errors"
	"image/png"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestURI_Plain(t *testing.T) {
	got := URI("BetterStack", "ann@example.com", rfcSecret)
	want := "otpauth://totp/BetterStack:ann%40example.com?secret=" + rfcSecret +
		"&issuer=BetterStack&algorithm=SHA1&digits=6&period=30"
	if got != want {
		t.Fatalf("URI =\n %s\nwant\n %s", got, want)
	}
}

// What an authenticator app reads back: the label split at its one colon,
// each part unescaped, and the parameters.
func TestURI_ParsesBack(t *testing.T) {
	tests := []struct {
		name, issuer, account string
	}{
		{"plain", "BetterStack", "ann@example.com"},
		{"separators in both", "Acme: Ops & Co/EU", "a b+c/d:e?f=g#h@example.org"},
		{"non-ASCII", "Überwachung", "zoë@example.com"},
		{"no issuer", "", "ann@example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := URI(tt.issuer, tt.account, rfcSecret)
			if strings.ContainsAny(raw, " +#") {
				t.Fatalf("URI %q holds a space, '+' or '#'", raw)
			}
			u, err := url.Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			if u.Scheme != "otpauth" || u.Host != "totp" {
				t.Fatalf("URI %q: scheme %q host %q, want otpauth://totp", raw, u.Scheme, u.Host)
			}
			label := strings.TrimPrefix(u.EscapedPath(), "/")
			var issuer, account string
			switch strings.Count(label, ":") {
			case 0:
				account = label
			case 1:
				issuer, account, _ = strings.Cut(label, ":")
			default:
				t.Fatalf("label %q has more than one colon", label)
			}
			for _, p := range []struct{ name, escaped, want string }{
				{"label issuer", issuer, tt.issuer},
				{"label account", account, tt.account},
			} {
				got, err := url.PathUnescape(p.escaped)
				if err != nil || got != p.want {
					t.Errorf("%s = %q (%v), want %q", p.name, got, err, p.want)
				}
			}
			q := u.Query()
			wantQuery := url.Values{
				"secret":    {rfcSecret},
				"algorithm": {"SHA1"},
				"digits":    {"6"},
				"period":    {"30"},
			}
			if tt.issuer != "" {
				wantQuery["issuer"] = []string{tt.issuer}
			}
			if q.Encode() != wantQuery.Encode() {
				t.Errorf("query %v, want %v", q, wantQuery)
			}
		})
	}
}

// The secret in the URI is the one Code uses: an app scanning it shows the
// codes Verify accepts.
func TestURI_SecretRoundTrip(t *testing.T) {
	secret, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(URI("BetterStack", "ann@example.com", secret))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_700_000_000, 0)
	code, err := Code(u.Query().Get("secret"), now)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := Verify(secret, code, now, 0); !ok {
		t.Fatal("the code from the URI's secret is refused")
	}
}

func TestQRCodePNG(t *testing.T) {
	b, err := QRCodePNG(URI("BetterStack", "ann@example.com", rfcSecret))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	r := img.Bounds()
	if r.Dx() != qrSize || r.Dy() != qrSize {
		t.Fatalf("image %dx%d, want %dx%d", r.Dx(), r.Dy(), qrSize, qrSize)
	}
	// A QR code is roughly half dark modules inside a light quiet zone.
	dark := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if gray, _, _, _ := img.At(x, y).RGBA(); gray < 0x8000 {
				dark++
			}
		}
	}
	if share := float64(dark) / float64(r.Dx()*r.Dy()); share < 0.2 || share > 0.6 {
		t.Fatalf("%.0f%% of the pixels are dark: not a QR code", 100*share)
	}
	for _, corner := range [][2]int{{r.Min.X, r.Min.Y}, {r.Max.X - 1, r.Max.Y - 1}} {
		if gray, _, _, _ := img.At(corner[0], corner[1]).RGBA(); gray < 0x8000 {
			t.Fatalf("corner %v is dark: no quiet zone", corner)
		}
	}
}

// Past what a version 40 QR code holds the error comes back, named.
func TestQRCodePNG_TooLong(t *testing.T) {
	_, err := QRCodePNG(strings.Repeat("x", 5000))
	if err == nil || !strings.HasPrefix(err.Error(), "twofactor: QR code:") || errors.Unwrap(err) == nil {
		t.Fatalf("err = %v, want a wrapped twofactor QR code error", err)
	}
}
