package provenance

import (
	"errors"
	"net/http"
	"testing"
)

type recordTransport struct{ hosts []string }

func (r *recordTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r.hosts = append(r.hosts, req.URL.String())
	return &http.Response{StatusCode: 200, Body: http.NoBody, Request: req}, nil
}

// No request is sent anywhere: the guard answers before the transport.
func TestLoopbackHTTPOnly(t *testing.T) {
	next := &recordTransport{}
	guard := loopbackHTTPOnly{next}
	for _, u := range []string{"http://10.0.0.5:5000/v2/", "http://registry.example.com/v2/"} {
		req, _ := http.NewRequest("GET", u, nil)
		if _, err := guard.RoundTrip(req); err == nil || !errors.As(err, new(*PlainHTTPError)) {
			t.Errorf("%s: %v, want a refusal", u, err)
		}
	}
	for _, u := range []string{"http://127.0.0.1:5000/v2/", "http://localhost:5000/v2/", "https://10.0.0.5/v2/"} {
		req, _ := http.NewRequest("GET", u, nil)
		if _, err := guard.RoundTrip(req); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	if len(next.hosts) != 3 {
		t.Errorf("passed on %v, want the 3 allowed", next.hosts)
	}
}
