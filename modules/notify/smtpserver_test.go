package notify_test

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"math/big"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// smtpServer is just enough of an SMTP server for tests, on 127.0.0.1:
// EHLO, STARTTLS, AUTH PLAIN and LOGIN, MAIL, RCPT, DATA, RSET, QUIT.
type smtpServer struct {
	Addr  string // host:port
	Host  string
	Port  int
	Roots *x509.CertPool // trusts the server's self-signed certificate

	mode     string // "starttls" offers STARTTLS, "tls" is implicit TLS, "none" offers neither, "silent" never greets
	mechs    string // AUTH mechanisms offered once TLS is up, e.g. "PLAIN LOGIN"
	user     string // credentials; "" = no AUTH required
	pass     string
	rcptCode int // reply to RCPT instead of 250, if set

	tlsConfig *tls.Config
	conns     atomic.Int64
	mu        sync.Mutex
	messages  []smtpMessage
}

// smtpMessage is one accepted message.
type smtpMessage struct {
	From   string
	To     []string
	Data   string
	TLS    bool
	Authed string // mechanism used, "" if none
}

// NewSMTPServer starts a test SMTP server; configure it with opts before
// it accepts (they run before the listener starts).
func NewSMTPServer(t testing.TB, mode string, opts ...func(*smtpServer)) *smtpServer {
	t.Helper()
	cert, roots := mustSelfSigned(t)
	s := &smtpServer{mode: mode, mechs: "PLAIN LOGIN", Roots: roots,
		tlsConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}
	for _, o := range opts {
		o(s)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = ln.Addr().String()
	host, port, _ := net.SplitHostPort(s.Addr)
	s.Host = host
	s.Port, _ = strconv.Atoi(port)
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			s.conns.Add(1)
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.serve(conn)
			}()
		}
	}()
	return s
}

// Messages returns the accepted messages.
func (s *smtpServer) Messages() []smtpMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]smtpMessage(nil), s.messages...)
}

func (s *smtpServer) serve(conn net.Conn) {
	defer func() { conn.Close() }()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if s.mode == "silent" {
		buf := make([]byte, 1)
		conn.Read(buf) // until the client gives up
		return
	}
	secure := false
	if s.mode == "tls" {
		conn = tls.Server(conn, s.tlsConfig)
		secure = true
	}
	r := bufio.NewReader(conn)
	reply := func(lines ...string) {
		for _, l := range lines {
			fmt.Fprintf(conn, "%s\r\n", l)
		}
	}
	readLine := func() (string, bool) {
		l, err := r.ReadString('\n')
		return strings.TrimRight(l, "\r\n"), err == nil
	}
	reply("220 test.local ESMTP")
	var msg smtpMessage
	authed := ""
	for {
		line, ok := readLine()
		if !ok {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			ext := []string{"test.local"}
			if s.mode == "starttls" && !secure {
				ext = append(ext, "STARTTLS")
			}
			if (secure || s.mode == "none") && s.mechs != "" {
				ext = append(ext, "AUTH "+s.mechs)
			}
			ext = append(ext, "8BITMIME")
			for i, e := range ext {
				sep := "-"
				if i == len(ext)-1 {
					sep = " "
				}
				reply("250" + sep + e)
			}
		case "STARTTLS":
			reply("220 go ahead")
			tc := tls.Server(conn, s.tlsConfig)
			if err := tc.Handshake(); err != nil {
				return
			}
			conn, r, secure = tc, bufio.NewReader(tc), true
		case "AUTH":
			mech, initial, _ := strings.Cut(arg, " ")
			var user, pass string
			switch strings.ToUpper(mech) {
			case "PLAIN":
				if initial == "" {
					reply("334 ")
					initial, _ = readLine()
				}
				b, _ := base64.StdEncoding.DecodeString(initial)
				parts := strings.Split(string(b), "\x00")
				if len(parts) == 3 {
					user, pass = parts[1], parts[2]
				}
			case "LOGIN":
				reply("334 " + base64.StdEncoding.EncodeToString([]byte("Username:")))
				l, _ := readLine()
				u, _ := base64.StdEncoding.DecodeString(l)
				reply("334 " + base64.StdEncoding.EncodeToString([]byte("Password:")))
				l, _ = readLine()
				p, _ := base64.StdEncoding.DecodeString(l)
				user, pass = string(u), string(p)
			default:
				reply("504 unsupported mechanism")
				continue
			}
			if user == s.user && pass == s.pass {
				authed = strings.ToUpper(mech)
				reply("235 authenticated")
			} else {
				reply("535 5.7.8 authentication failed")
			}
		case "MAIL":
			if s.user != "" && authed == "" {
				reply("530 5.7.0 authentication required")
				continue
			}
			msg = smtpMessage{From: addrArg(arg), TLS: secure, Authed: authed}
			reply("250 ok")
		case "RCPT":
			if s.rcptCode != 0 {
				reply(strconv.Itoa(s.rcptCode) + " mailbox says no")
				continue
			}
			msg.To = append(msg.To, addrArg(arg))
			reply("250 ok")
		case "DATA":
			reply("354 end with <CRLF>.<CRLF>")
			var data strings.Builder
			for {
				l, ok := readLine()
				if !ok {
					return
				}
				if l == "." {
					break
				}
				data.WriteString(strings.TrimPrefix(l, ".") + "\r\n")
			}
			msg.Data = data.String()
			s.mu.Lock()
			s.messages = append(s.messages, msg)
			s.mu.Unlock()
			reply("250 queued")
		case "RSET", "NOOP":
			reply("250 ok")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 unknown command")
		}
	}
}

// addrArg extracts the address from "FROM:<a@b> SIZE=1".
func addrArg(arg string) string {
	_, rest, _ := strings.Cut(arg, "<")
	addr, _, _ := strings.Cut(rest, ">")
	return addr
}

// mustSelfSigned makes a certificate for 127.0.0.1 and a pool trusting it.
func mustSelfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "test smtp"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}
