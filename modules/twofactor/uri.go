package twofactor

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/skip2/go-qrcode"
)

// qrSize is the side of the QR code image in pixels: readable by a phone
// held to a laptop screen, small enough for a data: URI.
const qrSize = 256

// URI returns the otpauth:// provisioning URI that authenticator apps read
// (the Key URI Format of Google Authenticator):
//
//	otpauth://totp/Issuer:account?secret=...&issuer=Issuer&algorithm=SHA1&digits=6&period=30
//
// The issuer and account are percent-encoded in the label, a colon in them
// too (it separates the two), and spaces as %20 everywhere, since some apps
// show a "+" literally. An empty issuer leaves out both the prefix and the
// parameter.
func URI(issuer, account, secret string) string {
	label := escape(account)
	q := []string{"secret=" + escape(secret)}
	if issuer != "" {
		label = escape(issuer) + ":" + label
		q = append(q, "issuer="+escape(issuer))
	}
	q = append(q,
		"algorithm="+Algorithm,
		"digits="+strconv.Itoa(Digits),
		"period="+strconv.FormatInt(periodSeconds, 10),
	)
	return "otpauth://totp/" + label + "?" + strings.Join(q, "&")
}

// escape percent-encodes s for the label or a query value: everything but
// RFC 3986's unreserved characters, so ':', '/', '&', '=' and '+' cannot be
// taken for separators, and a space becomes %20.
func escape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// QRCodePNG returns a PNG QR code of uri (256 x 256 pixels, medium error
// correction), for the dashboard to show as a data: URI.
func QRCodePNG(uri string) ([]byte, error) {
	png, err := qrcode.Encode(uri, qrcode.Medium, qrSize)
	if err != nil {
		return nil, fmt.Errorf("twofactor: QR code: %w", err)
	}
	return png, nil
}
