package probe

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/betterstack/betterstack/modules/apperr"
)

// maxExpiryDays bounds degraded_days and down_days (ten years).
const maxExpiryDays = 3650

// CertExpiryVerdict judges a certificate that is valid until notAfter, at
// now: down with ClassCertExpiry once it has expired or when fewer than
// downDays days are left (downDays 0: only once expired), degraded with
// ClassCertExpiry when fewer than degradedDays are left, up otherwise. The
// message says how long is left, the date, and the threshold crossed:
// "certificate expires in 5 days (2026-12-08), degraded under 14 days".
// A certificate is valid up to and including notAfter, as crypto/x509 has
// it. The tls kind and https checks share it.
func CertExpiryVerdict(notAfter, now time.Time, degradedDays, downDays int) (Status, ErrorClass, string) {
	return expiryVerdict("certificate", ClassCertExpiry, notAfter, now, degradedDays, downDays)
}

// expiryVerdict is CertExpiryVerdict for anything that expires: what names
// it in the message and class is reported when it is not up.
func expiryVerdict(what string, class ErrorClass, notAfter, now time.Time, degradedDays, downDays int) (Status, ErrorClass, string) {
	left := notAfter.Sub(now)
	date := notAfter.UTC().Format(time.DateOnly)
	switch {
	case left < 0:
		return StatusDown, class, fmt.Sprintf("%s expired %s ago (%s)", what, expirySpan(-left), date)
	case left < expiryDuration(downDays):
		return StatusDown, class, fmt.Sprintf("%s expires in %s (%s), down under %s", what, expirySpan(left), date, expiryCount(downDays, "day"))
	case left < expiryDuration(degradedDays):
		return StatusDegraded, class, fmt.Sprintf("%s expires in %s (%s), degraded under %s", what, expirySpan(left), date, expiryCount(degradedDays, "day"))
	}
	return StatusUp, ClassNone, ""
}

// expiryDuration is n days.
func expiryDuration(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

// expiryDaysLeft is the number of whole days from now to t, negative once t has
// passed (a day ago is -1).
func expiryDaysLeft(t, now time.Time) int {
	return int(math.Floor(t.Sub(now).Hours() / 24))
}

// expirySpan says how long d is in its largest whole unit: "5 days", "1 hour",
// "12 minutes", "3 seconds".
func expirySpan(d time.Duration) string {
	switch {
	case d >= 24*time.Hour:
		return expiryCount(int(d/(24*time.Hour)), "day")
	case d >= time.Hour:
		return expiryCount(int(d/time.Hour), "hour")
	case d >= time.Minute:
		return expiryCount(int(d/time.Minute), "minute")
	}
	return expiryCount(int(d/time.Second), "second")
}

// expiryCount is "1 day", "3 days".
func expiryCount(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// validateExpiryDays checks the degraded_days and down_days pair shared by
// the tls and domain kinds.
func validateExpiryDays(bad apperr.Fields, degraded, down int) {
	if degraded < 0 || degraded > maxExpiryDays {
		bad.Add("check.degraded_days", fmt.Sprintf("must be between 0 and %d", maxExpiryDays))
	}
	switch {
	case down < 0 || down > maxExpiryDays:
		bad.Add("check.down_days", fmt.Sprintf("must be between 0 and %d", maxExpiryDays))
	case down > degraded:
		bad.Add("check.down_days", "must not be more than degraded_days")
	}
}
