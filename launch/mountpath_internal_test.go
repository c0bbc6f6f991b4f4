package launch

import (
	"testing"

	"github.com/reprohq/repro/runlog"
)

// TestCheckMountPath: what a run may mount at record time is exactly what
// a recorded run is allowed to mount when it is read back, so a run that
// was recorded can always be re-run.
func TestCheckMountPath(t *testing.T) {
	for _, tt := range []struct {
		path string
		ok   bool
	}{
		{"/data/train", true},
		{"/data/it's here", true},
		{"/data/é", true},
		{"/data/a,b", false},
		{`/data/a"b`, false},
		{"/data/a\nb", false},
		{"/data/a\tb", false},
		{"/data/a\x1b[2Jb", false},
	} {
		err := checkMountPath(tt.path)
		if (err == nil) != tt.ok {
			t.Errorf("checkMountPath(%q) = %v, want ok=%v", tt.path, err, tt.ok)
		}
		if (err == nil) != runlog.MountablePath(tt.path) {
			t.Errorf("checkMountPath(%q) and runlog.MountablePath disagree", tt.path)
		}
	}
}
