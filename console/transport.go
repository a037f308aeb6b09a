package console

import (
	"errors"
	"io/fs"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// hstsValue asks browsers to use HTTPS only for a year. It is sent only on
// responses that arrived over HTTPS, as RFC 6797 requires; over plain HTTP
// it would be ignored anyway, and the demo must stay reachable on http://.
const hstsValue = "max-age=31536000"

// peer is the TCP peer of r.
func peer(r *http.Request) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}, false
	}
	return ap.Addr().Unmap(), true
}

// trusted reports whether a is one of the configured reverse proxies.
func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.opts.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientIP is the address of the person making the request. From a
// trusted proxy it is the right-most X-Forwarded-For entry that is not
// itself a trusted proxy: entries to its left were written by the client
// and prove nothing. From any other peer the header is ignored, so nobody
// can pick the address the logs and the audit record.
func (s *Server) clientIP(r *http.Request) string {
	a, ok := peer(r)
	if !ok {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			return r.RemoteAddr
		}
		return host
	}
	if !s.trusted(a) {
		return a.String()
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		h, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // a garbled hop: trust nothing further left
		}
		a = h.Unmap()
		if !s.trusted(a) {
			break
		}
	}
	return a.String()
}

// isHTTPS reports whether the browser's connection is HTTPS: TLS on this
// listener, or a trusted proxy saying so in X-Forwarded-Proto (its last
// value, the one the proxy nearest to us wrote).
func (s *Server) isHTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	a, ok := peer(r)
	if !ok || !s.trusted(a) {
		return false
	}
	vals := strings.Split(strings.Join(r.Header.Values("X-Forwarded-Proto"), ","), ",")
	return strings.EqualFold(strings.TrimSpace(vals[len(vals)-1]), "https")
}

// secureCookie decides the Secure flag of the cookies set on r's response.
func (s *Server) secureCookie(r *http.Request) bool {
	return s.opts.SecureCookie || s.isHTTPS(r)
}

// filesOnly serves the files of an fs.FS and refuses its directories, so
// http.FileServer answers 404 where it would list them.
type filesOnly struct{ fs.FS }

func (f filesOnly) Open(name string) (fs.File, error) {
	file, err := f.FS.Open(name)
	if err != nil {
		return nil, err
	}
	info, err := file.Stat()
	if err != nil || info.IsDir() {
		file.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: errors.Join(fs.ErrNotExist, err)}
	}
	return file, nil
}
