package provenance_test

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/reprohq/repro/provenance"
)

// IsNotFound tells a registry's "not here" from its other failures, as
// RegistryError does.
func TestIsNotFound(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{&transport.Error{StatusCode: http.StatusNotFound}, true},
		{&transport.Error{StatusCode: http.StatusNotFound, Errors: []transport.Diagnostic{{Code: transport.ManifestUnknownErrorCode}}}, true},
		{&transport.Error{StatusCode: http.StatusBadRequest, Errors: []transport.Diagnostic{{Code: transport.NameUnknownErrorCode}}}, true},
		{&transport.Error{StatusCode: http.StatusUnauthorized, Errors: []transport.Diagnostic{{Code: transport.UnauthorizedErrorCode}}}, false},
		{&transport.Error{StatusCode: http.StatusNotFound, Errors: []transport.Diagnostic{{Code: transport.DeniedErrorCode}, {Code: transport.ManifestUnknownErrorCode}}}, false},
		{fmt.Errorf("wrapped: %w", &transport.Error{StatusCode: http.StatusNotFound}), true},
		{errors.New("connection refused"), false},
	} {
		if got := provenance.IsNotFound(tt.err); got != tt.want {
			t.Errorf("IsNotFound(%v) = %v, want %v", tt.err, got, tt.want)
		}
		if got := errors.Is(provenance.RegistryError("x", "r", tt.err), provenance.ErrImageNotFound); got != tt.want {
			t.Errorf("RegistryError(%v) is ErrImageNotFound: %v, want %v", tt.err, got, tt.want)
		}
	}
}
