package provenance

import (
	"net/url"
	"regexp"
	"strings"
	"sync"
)

var scpLike = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([^@/]+)@([^:/]+):`) })

// StripCredentials removes user:password@ from a URL, so that tokens in
// remote URLs never reach the ledger. An scp-like address (git@host:path)
// keeps its user, which is not a secret, but not a password after it. A
// URL that does not parse loses whatever stands before '@' in its
// authority all the same.
func StripCredentials(raw string) string {
	if m := scpLike().FindStringSubmatchIndex(raw); m != nil {
		user := raw[m[2]:m[3]]
		if i := strings.IndexByte(user, ':'); i >= 0 {
			return user[:i] + raw[m[3]:]
		}
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		scheme, rest, ok := strings.Cut(raw, "://")
		if !ok {
			return raw
		}
		auth, path, _ := strings.Cut(rest, "/")
		if i := strings.LastIndexByte(auth, '@'); i >= 0 {
			auth = auth[i+1:]
		}
		if path != "" || strings.Contains(rest, "/") {
			return scheme + "://" + auth + "/" + path
		}
		return scheme + "://" + auth
	}
	if u.User == nil {
		return raw
	}
	if _, hasPassword := u.User.Password(); hasPassword || u.Scheme == "https" || u.Scheme == "http" {
		u.User = nil
	}
	return u.String()
}
