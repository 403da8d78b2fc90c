package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"sync/atomic"
	"time"

	probing "github.com/prometheus-community/pro-bing"

	"github.com/betterstack/betterstack/modules/apperr"
)

// Error classes of the icmp kind.
const (
	// ClassPermission: the process may open neither a raw ICMP socket nor
	// an unprivileged ICMP datagram socket, so nothing was sent.
	ClassPermission ErrorClass = "permission"
	// ClassPacketLoss: at least ICMP.LossDownPercent of the packets went
	// unanswered.
	ClassPacketLoss ErrorClass = "packet_loss"
)

// Bounds of the ICMP settings.
const (
	icmpMinCount, icmpMaxCount           = 1, 20
	icmpMinIntervalMS, icmpMaxIntervalMS = 10, 5000
)

// icmpPermissionHelp is the Error of a ClassPermission result: both ways an
// operator can let the process ping.
const icmpPermissionHelp = `ping needs CAP_NET_RAW (run as root or add the capability) or an unprivileged ICMP socket allowed by sysctl net.ipv4.ping_group_range (e.g. "0 2147483647")`

// icmpHostName matches a DNS name; IP addresses are checked separately.
var icmpHostName = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*\.?$`)

// ICMP is the settings of the icmp kind: ping a host with a few echo
// requests and judge packet loss and round-trip time.
type ICMP struct {
	Host string `json:"host"` // name or IP address; a name is resolved on every check, IPv4 preferred
	// Count is the number of echo requests per check.
	Count int `json:"count"`
	// IntervalMS is the wait between two echo requests.
	IntervalMS int `json:"interval_ms"`
	// LossDownPercent: the check is down when this share of packets or
	// more went unanswered; 100 means only when every packet was lost.
	LossDownPercent int `json:"loss_down_percent"`
	// DegradedRTTMS: the check is degraded when the average round-trip
	// time of the answered packets exceeds it; 0 turns it off.
	DegradedRTTMS int `json:"degraded_rtt_ms,omitempty"`
}

var _ Check = (*ICMP)(nil)

// icmpKind is the registry entry of ICMP.
var icmpKind = Kind{
	Name:      "icmp",
	Title:     "Ping (ICMP)",
	Scheduled: true,
	New:       func() Check { return newICMP() },
	Fields: []Field{
		{Name: "host", Label: "Host", Type: FieldText, Required: true, Placeholder: "example.org",
			Help: "Host name or IP address to ping; a name is resolved on every check, IPv4 preferred."},
		{Name: "count", Label: "Packets", Type: FieldNumber,
			Help: fmt.Sprintf("Echo requests sent per check, %d to %d.", icmpMinCount, icmpMaxCount)},
		{Name: "interval_ms", Label: "Interval (ms)", Type: FieldNumber,
			Help: fmt.Sprintf("Wait between packets, %d to %d ms; all packets and their answers must fit in the check's timeout.", icmpMinIntervalMS, icmpMaxIntervalMS)},
		{Name: "loss_down_percent", Label: "Down at packet loss (%)", Type: FieldNumber,
			Help: "Down when at least this share of packets is lost, 1 to 100; 100 means only when every packet is lost."},
		{Name: "degraded_rtt_ms", Label: "Degraded above RTT (ms)", Type: FieldNumber,
			Help: "Degraded when the average round-trip time exceeds this; 0 turns it off."},
	},
	Schemes: []string{"icmp", "ping"},
	FromURL: icmpFromURL,
}

// newICMP returns ICMP settings with their defaults.
func newICMP() *ICMP {
	return &ICMP{Count: 3, IntervalMS: 200, LossDownPercent: 100}
}

// Validate implements Check.
func (c *ICMP) Validate() error {
	f := apperr.Fields{}
	switch {
	case c.Host == "":
		f.Add("check.host", "required")
	case !icmpValidHost(c.Host):
		f.Add("check.host", "must be a host name or IP address, without scheme or port")
	}
	if c.Count < icmpMinCount || c.Count > icmpMaxCount {
		f.Add("check.count", fmt.Sprintf("must be between %d and %d", icmpMinCount, icmpMaxCount))
	}
	if c.IntervalMS < icmpMinIntervalMS || c.IntervalMS > icmpMaxIntervalMS {
		f.Add("check.interval_ms", fmt.Sprintf("must be between %d and %d", icmpMinIntervalMS, icmpMaxIntervalMS))
	}
	if c.LossDownPercent < 1 || c.LossDownPercent > 100 {
		f.Add("check.loss_down_percent", "must be between 1 and 100")
	}
	if c.DegradedRTTMS < 0 {
		f.Add("check.degraded_rtt_ms", "must not be negative (0 turns it off)")
	}
	return f.Err()
}

func icmpValidHost(h string) bool {
	if _, err := netip.ParseAddr(h); err == nil {
		return true
	}
	return len(h) <= 253 && icmpHostName.MatchString(h)
}

// Target implements Check.
func (c *ICMP) Target() string { return c.Host }

// MinTimeoutMS is the time the packets take to be sent, plus a last reply's
// round trip: a shorter timeout counts the last packets as lost.
func (c *ICMP) MinTimeoutMS() int { return (c.Count-1)*c.IntervalMS + 500 }

var _ TimeoutFloor = (*ICMP)(nil)

// icmpFromURL reads icmp://host?count=5&interval_ms=100&loss_down_percent=50&degraded_rtt_ms=100
// (or ping://...). Parameters left out keep their defaults; an unknown
// parameter is an error.
func icmpFromURL(u *url.URL) (Check, error) {
	c := newICMP()
	if u.Opaque != "" || u.Host == "" {
		return nil, apperr.Field("check.host", "write the URL as icmp://host")
	}
	if u.User != nil || u.Port() != "" || (u.Path != "" && u.Path != "/") || u.Fragment != "" {
		return nil, apperr.Field("check.host", "a ping URL is icmp://host with no user, port or path")
	}
	c.Host = u.Hostname()
	query, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, apperr.Field("check", "malformed query: "+err.Error())
	}
	params := map[string]*int{
		"count":             &c.Count,
		"interval_ms":       &c.IntervalMS,
		"loss_down_percent": &c.LossDownPercent,
		"degraded_rtt_ms":   &c.DegradedRTTMS,
	}
	f := apperr.Fields{}
	for name, values := range query {
		dst, ok := params[name]
		switch {
		case !ok:
			f.Add("check."+name, "unknown parameter; known: count, interval_ms, loss_down_percent, degraded_rtt_ms")
		case len(values) != 1:
			f.Add("check."+name, "given more than once")
		default:
			n, err := strconv.Atoi(values[0])
			if err != nil {
				f.Add("check."+name, "must be an integer")
				continue
			}
			*dst = n
		}
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	return c, nil
}

// icmpMode is how the process sends echo requests.
type icmpMode int32

const (
	icmpUnknown      icmpMode = iota // not yet discovered
	icmpPrivileged                   // raw socket: root or CAP_NET_RAW
	icmpUnprivileged                 // ICMP datagram socket: a group in net.ipv4.ping_group_range
)

func (m icmpMode) String() string {
	switch m {
	case icmpPrivileged:
		return "privileged raw socket"
	case icmpUnprivileged:
		return "unprivileged ICMP"
	}
	return "none"
}

// icmpModeKey keeps the discovered icmpMode in Env.Shared.
const icmpModeKey = "icmp.mode"

// errICMPPermission says neither kind of ICMP socket may be opened.
var errICMPPermission = errors.New(icmpPermissionHelp)

// Run implements Check: resolve the host, send Count echo requests
// IntervalMS apart and wait for their answers until all have come back or
// ctx ends; packets unanswered by then count as lost. A privileged raw
// socket is tried first and an unprivileged ICMP socket second; the one
// that works is remembered for the Prober's lifetime (a refusal is not, so
// a fixed capability or sysctl takes effect at the next check).
func (c *ICMP) Run(ctx context.Context, env *Env) Result {
	start := time.Now()
	var res Result
	addr, err := icmpResolve(ctx, c.Host)
	res.Phases.DNSMS = ms(time.Since(start))
	if err != nil {
		return icmpFailure(ctx, res, ClassDNS, err, start, "resolving "+c.Host)
	}
	res.ResolvedIP = addr.String()
	res.Details = []Detail{{Name: "address", Value: addr.String()}}
	if env.Config.BlockPrivate && !IsPublicAddr(addr) {
		return icmpFailure(ctx, res, ClassBlocked, fmt.Errorf("%w: %s", ErrBlockedAddress, addr), start, "")
	}
	if ctx.Err() != nil {
		return icmpFailure(ctx, res, ClassTimeout, ctx.Err(), start, "before the first packet was sent")
	}

	cache := env.Shared(icmpModeKey, func() any { return new(atomic.Int32) }).(*atomic.Int32)
	stats, mode, err := c.ping(ctx, addr, cache)
	switch {
	case errors.Is(err, errICMPPermission):
		return icmpFailure(ctx, res, ClassPermission, err, start, "")
	case stats.PacketsSent == 0:
		// Nothing went out: the socket failed or ctx ended first.
		if err == nil {
			err = errors.New("no packet was sent")
		}
		return icmpFailure(ctx, res, ClassConnect, err, start, "before the first packet was sent")
	case errors.Is(ctx.Err(), context.Canceled):
		// Cancelled (shutdown), not timed out: the missing answers say
		// nothing about the host.
		return icmpFailure(ctx, res, ClassInternal, ctx.Err(), start, "")
	}
	res.Details = append(res.Details, icmpDetails(stats, mode)...)
	if err != nil && ctx.Err() == nil {
		// The socket broke mid-run: report it rather than call it loss.
		res.Status, res.ErrorClass, res.Error = StatusDown, ClassConnect, oneLine(err.Error())
		return res
	}
	if stats.PacketsRecv > 0 {
		res.LatencyMS = ms(stats.AvgRtt)
	}
	res.Status, res.ErrorClass, res.Error = c.judge(stats.PacketsSent, stats.PacketsRecv, stats.AvgRtt)
	return res
}

// icmpResolve returns the address to ping: host itself when it is an IP
// address, else its first IPv4 address, else its first address.
func icmpResolve(ctx context.Context, host string) (netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return a.Unmap(), nil
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return netip.Addr{}, err
	}
	if len(addrs) == 0 {
		return netip.Addr{}, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
	}
	for _, a := range addrs {
		if a.Unmap().Is4() {
			return a.Unmap(), nil
		}
	}
	return addrs[0], nil
}

// icmpFailure fills res as a down result of class, unless ctx ended, which
// makes it a timeout (during stage) or a cancellation whatever err says.
func icmpFailure(ctx context.Context, res Result, class ErrorClass, err error, start time.Time, stage string) Result {
	res.Status, res.ErrorClass, res.Error = StatusDown, class, oneLine(err.Error())
	switch {
	case class == ClassBlocked || class == ClassPermission:
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		res.ErrorClass = ClassTimeout
		res.Error = oneLine(fmt.Sprintf("timed out after %s %s", time.Since(start).Round(time.Millisecond), stage))
	case errors.Is(ctx.Err(), context.Canceled):
		res.ErrorClass, res.Error = ClassInternal, "check cancelled before it finished"
	}
	return res
}

// ping sends the echo requests in the remembered mode, or discovers the
// mode: privileged first, unprivileged when the raw socket is refused. A
// remembered mode that stops working (capability dropped, sysctl changed)
// falls back to the other in the same check.
func (c *ICMP) ping(ctx context.Context, addr netip.Addr, cache *atomic.Int32) (*probing.Statistics, icmpMode, error) {
	modes := []icmpMode{icmpPrivileged, icmpUnprivileged}
	if icmpMode(cache.Load()) == icmpUnprivileged {
		modes = []icmpMode{icmpUnprivileged, icmpPrivileged}
	}
	for _, m := range modes {
		stats, opened, err := c.pingWith(ctx, addr, m)
		if !opened && errors.Is(err, os.ErrPermission) {
			continue
		}
		if opened {
			cache.Store(int32(m))
		}
		return stats, m, err
	}
	cache.Store(int32(icmpUnknown))
	return &probing.Statistics{}, icmpUnknown, errICMPPermission
}

// pingWith runs one pinger in mode m. opened reports whether its socket
// was opened, which tells a refused socket from a failure afterwards.
func (c *ICMP) pingWith(ctx context.Context, addr netip.Addr, m icmpMode) (stats *probing.Statistics, opened bool, err error) {
	p := probing.New(addr.String())
	p.SetIPAddr(&net.IPAddr{IP: addr.AsSlice(), Zone: addr.Zone()})
	p.SetPrivileged(m == icmpPrivileged)
	p.SetLogger(probing.NoopLogger{})
	p.Count = c.Count
	p.Interval = time.Duration(c.IntervalMS) * time.Millisecond
	p.RecordRtts, p.RecordTTLs = false, false
	if _, ok := ctx.Deadline(); !ok {
		p.Timeout = DefaultTimeout // never wait forever for a lost packet
	}
	p.OnSetup = func() { opened = true } // called before run starts its goroutines
	err = p.RunWithContext(ctx)
	return p.Statistics(), opened, err
}

// judge decides a finished ping: down on too much loss, degraded on a slow
// average, up otherwise. sent is above zero.
func (c *ICMP) judge(sent, recv int, avg time.Duration) (Status, ErrorClass, string) {
	if loss, down := lossVerdict(sent, recv, c.LossDownPercent); down {
		return StatusDown, ClassPacketLoss, fmt.Sprintf("%d of %d packets lost (%s loss, down at %d%%)",
			sent-recv, sent, icmpPercent(loss), c.LossDownPercent)
	}
	if c.DegradedRTTMS > 0 && ms(avg) > float64(c.DegradedRTTMS) {
		// Degraded keeps ErrorClass empty, as for a slow HTTP check:
		// nothing failed, it was only slow.
		return StatusDegraded, ClassNone, fmt.Sprintf("average RTT %s ms over %d ms", icmpMS(ms(avg)), c.DegradedRTTMS)
	}
	return StatusUp, ClassNone, ""
}

// lossVerdict returns the packet loss in percent and whether it reaches
// downAt percent. The comparison is exact (lost/sent >= downAt/100 in
// integers), so 1 of 3 lost is down at 33% and up at 34%. Nothing sent is
// all lost.
func lossVerdict(sent, recv, downAt int) (loss float64, down bool) {
	if sent <= 0 {
		return 100, true
	}
	recv = min(max(recv, 0), sent)
	lost := sent - recv
	return float64(lost) * 100 / float64(sent), lost*100 >= downAt*sent
}

// icmpDetails is the evidence of a ping that sent packets.
func icmpDetails(s *probing.Statistics, m icmpMode) []Detail {
	loss, _ := lossVerdict(s.PacketsSent, s.PacketsRecv, 100)
	d := []Detail{
		{Name: "packets", Value: fmt.Sprintf("%d sent, %d received", s.PacketsSent, s.PacketsRecv)},
		{Name: "packet loss", Value: icmpPercent(loss)},
	}
	if s.PacketsRecv > 0 {
		d = append(d, Detail{Name: "rtt min/avg/max", Value: fmt.Sprintf("%.2f / %.2f / %.2f ms", ms(s.MinRtt), ms(s.AvgRtt), ms(s.MaxRtt))})
	}
	return append(d, Detail{Name: "mode", Value: m.String()})
}

// icmpPercent formats a loss: "0%", "100%", "33.3%".
func icmpPercent(p float64) string {
	return strconv.FormatFloat(float64(int64(p*10+0.5))/10, 'f', -1, 64) + "%"
}

// icmpMS formats milliseconds with at most two decimals: "250", "0.05".
func icmpMS(v float64) string {
	return strconv.FormatFloat(float64(int64(v*100+0.5))/100, 'f', -1, 64)
}
